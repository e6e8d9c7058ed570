import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Secret } from '../src/sources/object-set.ts';
import { NGINX_ANNOTATIONS, translateNginxAnnotations } from '../src/translate/nginx/index.ts';
import { snippetHeaders } from '../src/translate/nginx/headers.ts';
import { parseSize } from '../src/translate/nginx/registry.ts';
import { parseTemplate } from '../src/translate/nginx/template.ts';
import { literalPrefix } from '../src/translate/ingress-policy.ts';

const N = 'nginx.ingress.kubernetes.io/';
const run = (annotations: Record<string, string>, secrets = new Map<string, Secret>()) =>
  translateNginxAnnotations(annotations, { namespace: 'default', name: 'x' }, secrets, { prefix: 'nginx.ingress.kubernetes.io', nginxClass: false });

/** Every string inside a value. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

const HOSTILE = [
  'a\r\nX-Injected: 1', 'a\nb', 'a\u0000b', 'x'.repeat(1_000_000), '$http_cookie', `$${'{'}http_authorization}`, '"; return 200; #',
  '{ }', '\u202e', '../../etc/passwd', '(a+)+$', '',
];

/**
 * Every annotation's parser against hostile values: none throws, none lets CR/LF/NUL or an unlisted
 * variable into an operation, and security annotations close the route instead of opening it.
 */
describe('nginx annotations - strict grammars against hostile values', () => {
  it('no parser throws, and no operation carries CR, LF or NUL, whatever the value', () => {
    for (const e of NGINX_ANNOTATIONS) {
      for (const v of HOSTILE) {
        const t = run({ [N + e.name]: v, [`${N}auth-type`]: 'basic', [`${N}backend-protocol`]: 'HTTPS', [`${N}enable-cors`]: 'true', [`${N}canary`]: 'true' });
        const json = JSON.stringify(t.ops);
        const leaked = strings([t.ops, t.problems]).find((x) => x.includes('\r') || x.includes('\n') || x.includes('\u0000'));
        assert.equal(leaked, undefined, `${e.name} = ${JSON.stringify(v.slice(0, 40))} leaked a control character`);
        assert.ok(json.length < 200_000, `${e.name}: a huge value was copied into the route table`);
      }
    }
  });

  it('security annotations with a value that does not parse close the route (fail-closed op), never open it', () => {
    for (const [name, v] of [['allowlist-source-range', '10.0.0.0/33'], ['denylist-source-range', 'not-an-ip'], ['whitelist-source-range', 'x'.repeat(100_000)], ['auth-url', 'http://$host/auth'], ['auth-url', 'https://auth.test/?x=$http_x'], ['auth-url', 'ftp://auth.test/'], ['auth-type', 'digest'], ['auth-type', 'basic']] as const) {
      const t = run({ [N + name]: v });
      assert.ok(t.ops.some((o) => o.op.kind === 'fail-closed'), `${name}=${v.slice(0, 40)} did not fail closed`);
      assert.ok(!t.ops.some((o) => o.op.kind === 'source-range' || o.op.kind === 'forward-auth' || o.op.kind === 'basic-auth'), name);
    }
  });

  it('size grammar: nginx units, 0 is unlimited, junk and overflow refused', () => {
    assert.equal(parseSize('8m'), 8 * 1024 * 1024);
    assert.equal(parseSize('512K'), 512 * 1024);
    assert.equal(parseSize('0'), 0);
    assert.equal(parseSize('1.5m'), undefined);
    assert.equal(parseSize('-1'), undefined);
    assert.equal(parseSize('999999999999g'), undefined);
    assert.equal(parseSize('1m; x'), undefined);
  });

  it('templates: only listed variables and (in rewrite-target) captures; quotes, spaces and stray $ refused', () => {
    assert.deepEqual(parseTemplate(`/a/$1/$${'{'}uri}?q=$args`, { captures: true }), { ok: true, template: [{ lit: '/a/' }, { capture: 1 }, { lit: '/' }, { var: 'uri' }, { lit: '?q=' }, { var: 'args' }] });
    assert.equal(parseTemplate('/$1', { captures: false }).ok, false);
    assert.equal(parseTemplate('/$remote_user', { captures: true }).ok, false);
    assert.equal(parseTemplate('/a b', { captures: true }).ok, false);
    assert.equal(parseTemplate('/a"b', { captures: true }).ok, false);
    assert.equal(parseTemplate('/cost$', { captures: true }).ok, false);
  });

  it('snippets: header directives with literals translate; variables, blocks and other directives are refused', () => {
    const ok = snippetHeaders('more_set_headers "X-A: 1" "X-B: two";\nmore_clear_headers Server;\nadd_header X-C 3 always;\nproxy_set_header X-D four;\n# comment\n');
    assert.ok(ok.ok);
    for (const bad of ['more_set_headers "X-A: $host";', 'proxy_set_header Host $host;', 'if ($a) { return 403; }', 'lua_code_cache off;', 'more_set_headers "X-A: 1"', 'more_set_headers -s 404 "X-A: 1";', 'add_header X-A "a\r\nb";', 'access_by_lua_block { }']) {
      assert.equal(snippetHeaders(bad).ok, false, bad);
    }
  });

  it('regex paths: the literal prefix the route index sees', () => {
    assert.equal(literalPrefix('/shop(/|$)(.*)'), '/shop');
    assert.equal(literalPrefix('/api/v[0-9]+/users'), '/api');
    assert.equal(literalPrefix('/.*'), '/');
    assert.equal(literalPrefix('/exact'), '/exact');
    assert.equal(literalPrefix('/a/(.+)'), '/a');
  });

  it('rauta.io/<name> wins over the nginx annotation; the overridden one is noted', () => {
    const t = translateNginxAnnotations({ [`${N}proxy-body-size`]: '1k', 'rauta.io/proxy-body-size': '2k' }, { namespace: 'd', name: 'x' }, new Map(), { prefix: 'nginx.ingress.kubernetes.io', nginxClass: false });
    assert.deepEqual(t.ops.map((o) => o.op), [{ kind: 'body-limit', maxBytes: 2048 }]);
    assert.ok(t.problems.some((p) => p.kind === 'note' && p.annotation === `${N}proxy-body-size`));
  });
});
