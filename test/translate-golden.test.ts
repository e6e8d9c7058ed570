import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { routesView } from '../src/admin/routes-view.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { translate } from '../src/translate/translate.ts';
import { CLASS_OPTIONS } from './support/translate.ts';

/**
 * Golden translation tests, Contour style: test/golden/<case>.in.yaml → <case>.out.json, the table as
 * /routes shows it (without the fingerprint and time, which say nothing about correctness).
 * Regenerate after a deliberate change with `UPDATE_GOLDEN=1 npm test`, then read the diff.
 */
const dir = fileURLToPath(new URL('./golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

function project(name: string, text: string): string {
  const objects = parseManifests([{ name, text }]);
  const { table } = translate(objects, CLASS_OPTIONS);
  const { fingerprint: _f, applied_at: _a, ...view } = routesView(table, { fingerprint: '', appliedAt: undefined });
  // JSON.stringify drops undefined fields, so absent and undefined compare the same.
  return `${JSON.stringify(view, null, 2)}\n`;
}

describe('translate - golden files', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).sort();
  it('has cases', () => assert.ok(cases.length >= 10, `only ${cases.length} golden cases in ${dir}`));
  for (const file of cases) {
    const name = file.slice(0, -'.in.yaml'.length);
    it(name, () => {
      const got = project(file, readFileSync(dir + file, 'utf8'));
      const outPath = `${dir}${name}.out.json`;
      if (update) writeFileSync(outPath, got);
      let want: string;
      try {
        want = readFileSync(outPath, 'utf8');
      } catch {
        assert.fail(`${outPath} is missing: run UPDATE_GOLDEN=1 node --test test/translate-golden.test.ts`);
      }
      assert.equal(got, want);
    });
  }

  it('translation is deterministic: object order in the file does not change the table', () => {
    const text = readFileSync(`${dir}merge-host.in.yaml`, 'utf8');
    const docs = text.split(/^---$/m);
    const reversed = [...docs].reverse().join('\n---\n');
    assert.equal(project('merge-host.in.yaml', reversed), project('merge-host.in.yaml', text));
    const fingerprint = (t: string) => translate(parseManifests([{ name: 'm.yaml', text: t }]), CLASS_OPTIONS).fingerprint;
    assert.equal(fingerprint(reversed), fingerprint(text));
    assert.equal(fingerprint(text), fingerprint(text));
    assert.notEqual(fingerprint(text.replace('path: /api,', 'path: /api2,')), fingerprint(text));
  });
});
