import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { rawRequest, rawStatus, startRawBackend } from './support/backends.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/**
 * Request-smuggling probes over a raw socket: every ambiguous request is answered 400 by RAUTA and no
 * byte of it reaches the backend. The backend is a raw TCP server that records whatever it receives.
 */
const H = 'Host: smuggle.test\r\n';

const PROBES: Record<string, string> = {
  'Content-Length and Transfer-Encoding': `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  'Transfer-Encoding then Content-Length': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`,
  'duplicate equal Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`,
  'duplicate different Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
  'Content-Length list': `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`,
  'invalid Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: 3x\r\n\r\nabc`,
  'negative Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`,
  'signed Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`,
  'Transfer-Encoding: gzip': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nabc`,
  'Transfer-Encoding: identity': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\nabc`,
  'Transfer-Encoding: chunked, identity': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
  'Transfer-Encoding: gzip, chunked': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
  'Transfer-Encoding: xchunked': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
  'two Transfer-Encoding headers': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  'space before the colon': `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
  'vertical tab in Transfer-Encoding': `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n`,
  'obs-fold': `GET / HTTP/1.1\r\n${H}X-Folded: a\r\n  b\r\n\r\n`,
  'obs-fold in Transfer-Encoding': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \r\n chunked\r\n\r\n0\r\n\r\n`,
  'two Host headers': `GET / HTTP/1.1\r\n${H}Host: other.test\r\n\r\n`,
  'bare LF line endings': `GET / HTTP/1.1\n${H.replace('\r\n', '\n')}\n`,
  'NUL in a header value': `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`,
  'HTTP/0.9 request line': 'GET /\r\n\r\n',
  'unknown HTTP version': `GET / HTTP/9.9\r\n${H}\r\n`,
};

describe('proxy - request smuggling probes', () => {
  let backend: Awaited<ReturnType<typeof startRawBackend>>;
  let rauta: RunningRauta;
  before(async () => {
    backend = await startRawBackend('127.0.0.4', (s) => {
      s.on('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nleaked!'));
    });
    rauta = await startStandalone(routeYaml('smuggle.test', [{ ip: '127.0.0.4', port: backend.port }]), {
      RAUTA_MAX_HEADER_SIZE: '4096',
      RAUTA_CLIENT_HEADER_TIMEOUT_SECONDS: '1',
    });
  });
  after(async () => {
    await rauta.stop();
    await backend.close();
  });

  for (const [name, raw] of Object.entries(PROBES)) {
    it(`${name} → 400, nothing reaches the backend`, async () => {
      const answer = await rawRequest(rauta.httpPort, raw);
      assert.equal(rawStatus(answer), 400, `answer: ${JSON.stringify(answer.slice(0, 200))}`);
      assert.equal(answer.match(/HTTP\/1\.1 \d{3}/g)?.length, 1, 'exactly one response');
      assert.doesNotMatch(answer, /leaked!/);
      assert.equal(backend.received(), '', 'the backend received bytes');
    });
  }

  it('RAUTA\'s own 400s carry the error code and a request id', async () => {
    const answer = await rawRequest(rauta.httpPort, PROBES['Transfer-Encoding: gzip, chunked']);
    assert.match(answer, /RAUTA_ERR_BAD_REQUEST/);
    assert.match(answer, /\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    const parserAnswer = await rawRequest(rauta.httpPort, PROBES['Content-Length and Transfer-Encoding']);
    assert.match(parserAnswer, /RAUTA_ERR_BAD_REQUEST/);
  });

  it('a malformed chunk inside the body → 400, and the backend never gets a complete request', async () => {
    const answer = await rawRequest(rauta.httpPort, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n0\r\n\r\n`);
    assert.equal(rawStatus(answer), 400);
    await new Promise((r) => setTimeout(r, 100));
    assert.doesNotMatch(backend.received(), /0\r\n\r\n/);
  });

  it('headers above RAUTA_MAX_HEADER_SIZE → 431; below it → forwarded', async () => {
    const big = await rawRequest(rauta.httpPort, `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(5000)}\r\n\r\n`);
    assert.equal(rawStatus(big), 431);
    assert.match(big, /RAUTA_ERR_HEADERS_TOO_LARGE/);
    assert.equal(backend.received(), '');
    const fits = await rawRequest(rauta.httpPort, `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(3000)}\r\nConnection: close\r\n\r\n`);
    assert.equal(rawStatus(fits), 200);
    assert.match(backend.received(), /X-Big: a{3000}/);
  });

  it('an idle keep-alive connection is not a slow client: its next request after the header timeout works', async () => {
    const answers = await new Promise<string>((resolve, reject) => {
      const socket = connect(rauta.httpPort, '127.0.0.1');
      let out = '';
      socket.on('data', (d) => { out += d.toString('latin1'); });
      socket.on('error', reject);
      socket.on('close', () => resolve(out));
      socket.write(`GET /one HTTP/1.1\r\n${H}\r\n`);
      setTimeout(() => socket.write(`GET /two HTTP/1.1\r\n${H}Connection: close\r\n\r\n`), 2200);
      setTimeout(() => socket.destroy(), 5000);
    });
    assert.deepEqual(answers.match(/HTTP\/1\.1 \d{3}/g), ['HTTP/1.1 200', 'HTTP/1.1 200']);
  });

  it('headers not complete within RAUTA_CLIENT_HEADER_TIMEOUT_SECONDS → 408', async () => {
    const started = Date.now();
    const answer = await rawRequest(rauta.httpPort, `GET / HTTP/1.1\r\n${H}X-Slow: still typing`, 6000);
    assert.equal(rawStatus(answer), 408, `answer after ${Date.now() - started} ms: ${JSON.stringify(answer)}`);
    assert.match(answer, /RAUTA_ERR_CLIENT_TIMEOUT/);
  });
});
