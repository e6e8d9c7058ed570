import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzOptions } from './support/fuzz.ts';
import { type RautaChild, type RecordingBackend, assertServes, sendRaw, startRautaChild, startRecordingBackend, statuses } from './support/fuzz-http.ts';
import { routeYaml } from './support/manifests.ts';

/**
 * Random and mutated HTTP/1.1 requests at the plain listener. Whatever arrives, RAUTA keeps running and
 * serving, and the backend (a strict parser) only ever sees requests RAUTA itself wrote: each carries
 * RAUTA's `x-forwarded-port` (no fuzzed byte sequence ever contains that name, so a request the
 * backend parsed out of a body RAUTA forwarded would lack it), the backend's parser never fails on
 * RAUTA's framing, and a request RAUTA refused never arrives complete. (`/smuggled/` requests may reach
 * the backend legitimately: after a complete body they are simply the client's next request.)
 */
const HOST = 'fuzz.test';
const SMUGGLED = (id: number) => `GET /smuggled/${id} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

const crlf = fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, fc.constantFrom('\n', '\r', '\r\r\n', ''));
const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH') }, fc.constantFrom('CONNECT', 'TRACE', 'PRI', 'get', 'G ET', '', 'GET\x00', 'X'.repeat(300), 'ÄÖ'), fc.string({ maxLength: 8 }));
const version = fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom('HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 ', 'HTTP/11', ''));
const target = (id: number) => fc.oneof(
  { weight: 6, arbitrary: fc.constant(`/case/${id}`) },
  fc.constantFrom(`http://${HOST}/case/${id}`, `https://${HOST}/case/${id}`, `//case/${id}`, `/case/${id}/../../x`, `/case/${id}%00`, `/case/${id}?a=b#f`, '*', `${HOST}:80`, `/case/${id} HTTP/1.1\r\nX: y`, `/case/${id}\t`, `/${'a'.repeat(9000)}`, `http://[/case/${id}`),
);
const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Upgrade', 'Expect', 'Te', 'Trailer', 'X-Forwarded-For', 'Keep-Alive', 'Proxy-Connection', 'Cookie') },
  fc.constantFrom('Transfer_Encoding', 'Content_Length', 'X_Forwarded_For', 'Transfer-Encoding ', ' Transfer-Encoding', 'Content-Length\x00', 'Host:', 'X-Ä', '', 'X'.repeat(500)),
  fc.string({ maxLength: 10 }),
);
const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('chunked', ' chunked', 'chunked ', 'Chunked', 'chunked, identity', 'identity', 'gzip, chunked', 'xchunked', 'chunked\x0b', '0', '5', '-1', '+5', '0x5', '5, 5', '99999999999999999999', 'close', 'keep-alive', 'close, Host', 'Transfer-Encoding', 'h2c', 'websocket', '100-continue', HOST, `${HOST}:8080`, '') },
  fc.constantFrom('a\r\n b', 'a\rb', 'a\nb', 'a\x00b', 'ä', 'a'.repeat(40_000)),
  fc.string({ maxLength: 20 }),
);
const chunkedBody = (id: number) => fc.oneof(
  fc.constant('0\r\n\r\n'),
  fc.constant(`5\r\nhello\r\n0\r\n\r\n`),
  fc.constant(`${Buffer.byteLength(SMUGGLED(id)).toString(16)}\r\n${SMUGGLED(id)}\r\n0\r\n\r\n`),
  fc.constantFrom('zz\r\nhello\r\n0\r\n\r\n', '-1\r\n\r\n', '5;ext=1\r\nhello\r\n0\r\n\r\n', '5\r\nhelloXX\r\n0\r\n\r\n', '9999999999999999\r\n', '0\r\nX-Trailer: 1\r\n\r\n', '5\nhello\n0\n\n', '0\r\n', ' 5\r\nhello\r\n0\r\n\r\n', '5 \r\nhello\r\n0\r\n\r\n'),
  fc.constant(`0\r\n\r\n${SMUGGLED(id)}`),
);
const body = (id: number) => fc.oneof(fc.constant(''), fc.constant('hello'), fc.constant(SMUGGLED(id)), chunkedBody(id), fc.string({ maxLength: 40 }));

/** One request, mostly well-formed, with a few hostile parts; maybe a second request pipelined after it. */
const request = (id: number) => fc.record({
  method,
  target: target(id),
  version,
  eol: crlf,
  host: fc.oneof({ weight: 6, arbitrary: fc.constant([['Host', HOST]] as [string, string][]) }, fc.constant([] as [string, string][]), fc.constant([['Host', HOST], ['Host', 'other.test']] as [string, string][]), fc.constant([['Host', '']] as [string, string][])),
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
  framing: fc.constantFrom('none', 'length', 'chunked', 'both', 'wrong-length'),
  body: body(id),
  second: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, fc.constant(`GET /case2/${id} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`), fc.constant('\r\n'), fc.string({ maxLength: 20 })),
}).map((r) => {
  const lines = [`${r.method} ${r.target} ${r.version}`.trimEnd()];
  for (const [n, v] of r.host) lines.push(`${n}: ${v}`);
  const len = Buffer.byteLength(r.body);
  if (r.framing === 'length' || r.framing === 'both') lines.push(`Content-Length: ${len}`);
  if (r.framing === 'wrong-length') lines.push(`Content-Length: ${Math.max(0, len - 7)}`);
  if (r.framing === 'chunked' || r.framing === 'both') lines.push('Transfer-Encoding: chunked');
  for (const [n, v] of r.headers) lines.push(`${n}: ${v}`);
  return Buffer.from(`${lines.join(r.eol)}${r.eol}${r.eol}${r.body}${r.second}`, 'latin1');
});

describe('fuzz - HTTP/1.1 listener', () => {
  let backend: RecordingBackend;
  let rauta: RautaChild;
  let nextId = 1;
  before(async () => {
    backend = await startRecordingBackend('127.0.0.70');
    rauta = await startRautaChild(routeYaml(HOST, [{ ip: '127.0.0.70', port: backend.port }]), {
      RAUTA_CLIENT_HEADER_TIMEOUT_SECONDS: '2',
      RAUTA_H2C: 'true',
    });
  });
  after(async () => {
    await rauta?.stop();
    await backend?.close();
  });

  /** The checks after every case: alive, serving, and nothing reached the backend that RAUTA did not write. */
  async function assertSound(id: number, answer: Buffer): Promise<void> {
    rauta.assertAlive();
    assert.deepEqual(backend.parseErrors, [], 'the backend never fails to parse what RAUTA sent');
    for (const r of backend.received) {
      assert.ok(r.headers['x-forwarded-port'] !== undefined, `the backend got a request RAUTA did not write: ${r.method} ${r.url}`);
    }
    const first = statuses(answer)[0];
    if (first !== undefined && first >= 400 && first < 500 && first !== 404) {
      // Refused by RAUTA (400, 408, 411, 413, 414, 431…): the backend never got that request complete.
      const complete = backend.received.filter((r) => r.complete && r.url.endsWith(`/case/${id}`));
      assert.deepEqual(complete.map((r) => r.url), [], `RAUTA answered ${first} but the backend got the request`);
    }
    await assertServes(rauta.httpPort, HOST);
  }

  it('mutated requests never crash RAUTA or reach the backend with framing it refused (property)', async () => {
    let reached = 0;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }).chain((salt) => request(salt)), fc.boolean(), async (bytes, halfClose) => {
      const id = nextId++;
      backend.reset();
      // The arbitrary was built with a random id: give this case its own, so records never mix.
      const text = bytes.toString('latin1').replace(/\/(case2?|smuggled)\/\d+/g, (_m, kind: string) => `/${kind}/${id}`);
      const answer = await sendRaw(rauta.httpPort, Buffer.from(text, 'latin1'), { halfClose });
      if (backend.received.length > 0) reached++;
      await assertSound(id, answer);
    }), fuzzOptions(120));
    assert.ok(reached > 0, 'some fuzzed requests were forwarded (the checks above were not vacuous)');
  });

  it('random bytes, alone or after a valid request line, never crash RAUTA (property)', async () => {
    const prefix = fc.constantFrom('', 'GET / HTTP/1.1\r\n', `POST /case/0 HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n`, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', `GET / HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`);
    await fc.assert(fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 2048 }), async (p, noise) => {
      backend.reset();
      const answer = await sendRaw(rauta.httpPort, Buffer.concat([Buffer.from(p, 'latin1'), noise]), { idleMs: 200 });
      await assertSound(0, answer);
    }), fuzzOptions(80));
  });
});
