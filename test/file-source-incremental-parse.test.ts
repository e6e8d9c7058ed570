import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';
import { DocumentCache, splitDocuments } from '../src/sources/file/documents.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { fuzzOptions } from './support/fuzz.ts';
import { ingress, toYaml } from './support/manifests.ts';

/** What the whole stream parses to in one go (the reference the split and cached parse must equal). */
function wholeStream(text: string): { values: unknown[] } | { error: { index: number; line: number | undefined; col: number | undefined; message: string } } {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { values: [] };
  const values: unknown[] = [];
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      return { error: { index, line: e.linePos?.[0].line, col: e.linePos?.[0].col, message: e.message.split('\n')[0] } };
    }
    try {
      values.push(doc.toJS({ maxAliasCount: 100 }) ?? null);
    } catch (err) {
      return { error: { index, line: undefined, col: undefined, message: (err as Error).message } };
    }
  }
  return { values };
}

/** Documents as users write them: objects, empty ones, comments, `--- ` with content on the marker line, anchors. */
const documentText = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })), { maxKeys: 5 }).map((o) => stringify(o)),
  fc.constantFrom('', '# only a comment\n', '\n\n', 'a: &x {b: 1}\nc: *x\n', 'key: |\n  --- not a marker (indented)\n  text\n', '"quoted: \\"---\\""\n', '[1, 2,\n  3]\n', 'k: v # trailing\n'),
  fc.string({ maxLength: 30 }),
);
const separator = fc.constantFrom('---\n', '--- \n', '---\r\n', '--- # c\n', '---\n\n');

/** A stream of documents, each introduced by a marker except maybe the first. */
const stream = fc.tuple(fc.boolean(), fc.array(fc.tuple(separator, documentText), { minLength: 1, maxLength: 8 })).map(([leading, docs]) =>
  docs.map(([sep, body], i) => (i === 0 && !leading ? '' : sep) + (body.endsWith('\n') || body === '' ? body : `${body}\n`)).join(''));

describe('file source - documents are split and cached, and parse as the whole stream does', () => {
  it('split and cached parsing gives the whole stream\'s values or its first error (property)', () => {
    const cache = new DocumentCache();
    fc.assert(fc.property(fc.array(stream, { minLength: 1, maxLength: 4 }), (versions) => {
      // The same cache across successive versions of a file, as the parse worker keeps it.
      for (const text of versions) {
        cache.begin();
        const got = cache.documents(text);
        cache.commit();
        const want = wholeStream(text);
        if ('values' in want) assert.deepEqual(got, want);
        else {
          // Rejected as the whole stream is. (Where exactly may differ by a line or a document: the
          // parser files some errors, like an unclosed quote, under the neighbouring document.)
          assert.ok('error' in got, `the whole stream fails: ${want.error.message}`);
        }
      }
    }), fuzzOptions(300));
  });

  it('split pieces are the whole text, in order, with the line they start on', () => {
    fc.assert(fc.property(stream, (text) => {
      const chunks = splitDocuments(text);
      assert.equal(chunks.map((c) => c.text).join(''), text);
      let line = 1;
      for (const c of chunks) {
        assert.equal(c.firstLine, line);
        line += c.text.split('\n').length - 1;
      }
    }), fuzzOptions(300));
  });

  it('a one-document edit in a file of 500 Ingresses parses that document only, with the same result as a fresh parse', () => {
    const objects = Array.from({ length: 500 }, (_, i) => ingress(`ing-${i}`, { rules: [{ host: `h${i}.test`, paths: [{ path: '/', service: 'web' }] }] }));
    const text = toYaml(objects);
    const cache = new DocumentCache();
    parseManifests([{ name: 'm.yaml', text }], cache);
    assert.equal(cache.parsed, 500);
    const edited = toYaml(objects.map((o, i) => (i === 250 ? ingress('ing-250', { rules: [{ host: 'edited.test', paths: [{ path: '/', service: 'web' }] }] }) : o)));
    const incremental = parseManifests([{ name: 'm.yaml', text: edited }], cache);
    assert.equal(cache.parsed, 1);
    assert.equal(cache.reused, 499);
    assert.deepEqual(incremental, parseManifests([{ name: 'm.yaml', text: edited }]));
    assert.equal(incremental.ingresses[250].spec?.rules?.[0].host, 'edited.test');
  });

  it('a YAML error names the file, the document and the line in the whole file', () => {
    const good = toYaml([ingress('a'), ingress('b')]);
    const text = `${good}---\nkind: Ingress\nmetadata: {name: [unclosed\n`;
    const whole = wholeStream(text);
    assert.ok('error' in whole);
    const line = whole.error.line;
    assert.ok(line !== undefined && line > 10, 'the error is near the end of the file');
    assert.throws(() => parseManifests([{ name: 'm.yaml', text }], new DocumentCache()), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'RAUTA_ERR_MANIFEST');
      assert.match(err.message, new RegExp(`^m\\.yaml document 2 line ${line}:\\d+: `));
      return true;
    });
  });
});
