import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzOptions } from './support/fuzz.ts';
import { type RautaChild, sendRaw, startRautaChild, statuses } from './support/fuzz-http.ts';
import { ingressClass, toYaml } from './support/manifests.ts';

/**
 * Random and mutated requests at the admin listener, with and without an admin token. RAUTA keeps
 * running, never answers 5xx (a handler that threw), and /healthz still answers afterwards.
 */
const TOKEN = 'fuzz-admin-token-0123456789';
const PATHS = ['/', '/healthz', '/readyz', '/routes', '/backends', '/metrics', '/requests', '/requests/stream', '/api/summary', '/ui/app.js', '/ui/__proto__', '/ui/../package.json', '/ui/%2e%2e/x', '/favicon.ico', '/nope', '*', '', 'http://[', 'http://admin/routes', '//routes', '/routes?', '/%00', '/requests?%', `/${'a'.repeat(10_000)}`];
const QUERY_KEYS = ['status', 'host', 'service', 'limit', 'format', 'token', '__proto__', 'constructor', ''];
const value = fc.oneof(fc.constantFrom('5xx', '404', 'json', 'text', '-1', '0', '1e9', '999999999999999999999', 'NaN', 'a'.repeat(5000), '%', '%zz', '\u0000', 'ä', '[', '(a+)+$'), fc.string({ maxLength: 10 }));

const request = fc.record({
  method: fc.oneof({ weight: 6, arbitrary: fc.constant('GET') }, fc.constantFrom('HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'get', 'G ET', '')),
  path: fc.constantFrom(...PATHS),
  query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), value), { maxLength: 4 }),
  host: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('127.0.0.1', 'localhost', '[::1]', 'localhost:9000') }, fc.constantFrom('evil.example', '', 'a'.repeat(300), '127.0.0.1.evil.example', '127.0.0.1:80@evil'), fc.string({ maxLength: 12 })),
  auth: fc.oneof(fc.constant(undefined), fc.constant(`Bearer ${TOKEN}`), fc.constantFrom('Bearer ', 'Bearer wrong', 'Basic Zm9vOmJhcg==', `bearer ${TOKEN}`, `Bearer ${TOKEN}x`), fc.string({ maxLength: 20 })),
  cookie: fc.oneof(fc.constant(undefined), fc.constant(`rauta_token=${TOKEN}`), fc.string({ maxLength: 20 })),
  extra: fc.array(fc.tuple(fc.constantFrom('Accept', 'Origin', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Upgrade', 'X-A'), value), { maxLength: 3 }),
  trailing: fc.oneof({ weight: 4, arbitrary: fc.constant(new Uint8Array(0)) }, fc.uint8Array({ maxLength: 200 })),
}).map((r) => {
  const q = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const lines = [`${r.method} ${r.path}${q === '' ? '' : `?${q}`} HTTP/1.1`, `Host: ${r.host}`];
  if (r.auth !== undefined) lines.push(`Authorization: ${r.auth}`);
  if (r.cookie !== undefined) lines.push(`Cookie: ${r.cookie}`);
  for (const [n, v] of r.extra) lines.push(`${n}: ${v}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`, 'latin1'), r.trailing]);
});

describe('fuzz - admin listener', () => {
  let open: RautaChild;
  let guarded: RautaChild;
  before(async () => {
    [open, guarded] = await Promise.all([
      startRautaChild(toYaml([ingressClass()])),
      startRautaChild(toYaml([ingressClass()]), { RAUTA_ADMIN_TOKEN: TOKEN }),
    ]);
  });
  after(async () => {
    await Promise.all([open?.stop(), guarded?.stop()]);
  });

  async function assertSound(rauta: RautaChild, answer: Buffer): Promise<void> {
    rauta.assertAlive();
    for (const status of statuses(answer)) assert.ok(status < 500 || status === 503, `admin answered ${status}: ${answer.toString('latin1').slice(0, 300)}`);
    const health = await sendRaw(rauta.adminPort, Buffer.from('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), { idleMs: 5000, maxMs: 10_000 });
    assert.equal(statuses(health)[0], 200, `/healthz after the case: ${health.toString('latin1').slice(0, 200)}`);
  }

  it('mutated requests never crash RAUTA or make an admin handler fail (property)', async () => {
    await fc.assert(fc.asyncProperty(request, fc.boolean(), async (bytes, withToken) => {
      const rauta = withToken ? guarded : open;
      // The live feed never ends by itself: a short wait is enough to see its status line.
      const answer = await sendRaw(rauta.adminPort, bytes, { idleMs: 150, maxMs: 1500 });
      await assertSound(rauta, answer);
    }), fuzzOptions(120));
  });

  it('random bytes never crash the admin listener (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom('', 'GET ', 'GET / HTTP/1.1\r\n', 'GET /requests/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n'), fc.uint8Array({ maxLength: 1024 }), async (prefix, noise) => {
      const answer = await sendRaw(open.adminPort, Buffer.concat([Buffer.from(prefix, 'latin1'), noise]), { idleMs: 150, maxMs: 1500 });
      await assertSound(open, answer);
    }), fuzzOptions(80));
  });
});
