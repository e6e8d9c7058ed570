import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, rawRequest, rawStatus, startBackend } from './support/backends.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/** Header names a backend received, lower-cased. */
function names(raw: readonly string[]): string[] {
  return raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
}

describe('proxy - Connection-named headers and header names with underscores', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  before(async () => {
    backend = await startBackend('127.0.0.22', (_req, res, body) => res.end(`body=${body.toString()}`));
    rauta = await startStandalone(routeYaml('rules.test', [{ ip: backend.ip, port: backend.port }]));
  });
  after(async () => {
    await rauta.stop();
    await backend.close();
  });
  const last = () => backend.seen[backend.seen.length - 1];
  const send = (head: string, body = '') => rawRequest(rauta.httpPort, `${head}\r\n\r\n${body}`);

  it('`Connection: close, Host` keeps the Host header', async () => {
    const answer = await send('GET /h HTTP/1.1\r\nHost: rules.test\r\nConnection: close, Host');
    assert.equal(rawStatus(answer), 200);
    assert.equal(last().headers.host, 'rules.test');
  });

  it('naming Content-Length (or Content-Type) in Connection leaves the body framing and type alone', async () => {
    const answer = await send('POST /cl HTTP/1.1\r\nHost: rules.test\r\nConnection: close, Content-Length, Content-Type\r\nContent-Type: text/plain\r\nContent-Length: 5', 'hello');
    assert.equal(rawStatus(answer), 200);
    assert.match(answer, /body=hello$/);
    assert.equal(last().headers['content-length'], '5');
    assert.equal(last().headers['content-type'], 'text/plain');
    assert.equal(last().body.toString(), 'hello');
  });

  it('other headers named in Connection are still removed (RFC 9110 §7.6.1)', async () => {
    await send('GET /named HTTP/1.1\r\nHost: rules.test\r\nConnection: close, X-Hop\r\nX-Hop: secret\r\nX-Kept: yes');
    assert.equal(last().headers['x-hop'], undefined);
    assert.equal(last().headers['x-kept'], 'yes');
  });

  it('header names with underscores are dropped, like nginx by default', async () => {
    const answer = await send(
      'POST /u HTTP/1.1\r\nHost: rules.test\r\nConnection: close\r\nContent-Length: 2\r\n' +
      'Transfer_Encoding: chunked\r\nX_Forwarded_For: 203.0.113.9\r\nX_Custom: a\r\nX-Custom: b', 'ok',
    );
    assert.equal(rawStatus(answer), 200);
    const seen = last();
    assert.deepEqual(names(seen.rawHeaders).filter((n) => n.includes('_')), []);
    assert.equal(seen.headers['x-custom'], 'b');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.body.toString(), 'ok');
  });
});
