import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, rawRequest, rawHeaders, rawStatus, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/** Names of the headers a backend received, lower-cased (rawHeaders keeps duplicates). */
function names(raw: readonly string[]): string[] {
  return raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
}

describe('proxy - request and response headers', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  before(async () => {
    backend = await startBackend('127.0.0.3', (req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/hop') {
        // A backend that names its own hop-by-hop header and sends the standard ones.
        res.writeHead(200, [
          'Connection', 'X-Backend-Hop, keep-alive',
          'X-Backend-Hop', 'secret',
          'Keep-Alive', 'timeout=5',
          'Proxy-Authenticate', 'Basic',
          'Set-Cookie', 'a=1',
          'Set-Cookie', 'b=2',
          'Server', 'backend/1.0',
          'X-Request-Id', 'backend-made-this-up',
          'Content-Length', '2',
        ]);
        res.end('ok');
        return;
      }
      if (url.pathname === '/stream') {
        // No Content-Length: RAUTA must frame it (chunked for HTTP/1.1 clients).
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part one, ');
        setTimeout(() => res.end('part two'), 20);
        return;
      }
      const answer = JSON.stringify({ bytes: body.length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
    rauta = await startStandalone(routeYaml('headers.test', [{ ip: backend.ip, port: backend.port }]));
  });
  after(async () => {
    await rauta.stop();
    await backend.close();
  });

  const last = () => backend.seen[backend.seen.length - 1];

  it('keeps Host and sets X-Forwarded-For/Proto/Host/Port', async () => {
    const res = await get(rauta.httpPort, '/x?q=1', { host: 'Headers.Test:8080' });
    assert.equal(res.status, 200);
    const seen = last();
    assert.equal(seen.url, '/x?q=1');
    assert.equal(seen.headers.host, 'Headers.Test:8080');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], 'Headers.Test:8080');
    assert.equal(seen.headers['x-forwarded-port'], String(rauta.httpPort));
  });

  it('appends to an incoming X-Forwarded-For and replaces forged X-Forwarded-Proto/Host/Port', async () => {
    await get(rauta.httpPort, '/', {
      host: 'headers.test', 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test', 'x-forwarded-port': '1',
    });
    const seen = last();
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.7, 10.0.0.1, 127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], 'headers.test');
    assert.equal(seen.headers['x-forwarded-port'], String(rauta.httpPort));
    assert.equal(names(seen.rawHeaders).filter((n) => n === 'x-forwarded-proto').length, 1);
  });

  it('keeps a client X-Request-Id and returns it', async () => {
    const res = await get(rauta.httpPort, '/', { host: 'headers.test', 'x-request-id': 'client-id-123' });
    assert.equal(last().headers['x-request-id'], 'client-id-123');
    assert.equal(res.headers['x-request-id'], 'client-id-123');
  });

  it('generates an X-Request-Id when there is none (or it is unusable) and returns the same one', async () => {
    const res = await get(rauta.httpPort, '/', { host: 'headers.test' });
    const id = String(res.headers['x-request-id']);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(last().headers['x-request-id'], id);
    const res2 = await get(rauta.httpPort, '/', { host: 'headers.test', 'x-request-id': 'x'.repeat(300) });
    assert.match(String(res2.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(last().headers['x-request-id'], res2.headers['x-request-id']);
  });

  it('drops hop-by-hop request headers and those named in Connection', async () => {
    const raw = [
      'GET /hop-req HTTP/1.1', 'Host: headers.test', 'Connection: keep-alive, X-Client-Hop', 'X-Client-Hop: secret',
      'Keep-Alive: timeout=5', 'Proxy-Connection: keep-alive', 'TE: trailers', 'Proxy-Authorization: Basic Zm9v', 'X-Kept: yes', '', '',
    ].join('\r\n');
    const answer = await rawRequest(rauta.httpPort, raw, 500);
    assert.equal(rawStatus(answer), 200);
    const got = names(last().rawHeaders);
    for (const h of ['x-client-hop', 'keep-alive', 'proxy-connection', 'te', 'proxy-authorization']) assert.ok(!got.includes(h), `${h} reached the backend`);
    assert.ok(got.includes('x-kept'));
  });

  it('drops hop-by-hop response headers, keeps repeated ones, Server and its own X-Request-Id', async () => {
    const res = await get(rauta.httpPort, '/hop', { host: 'headers.test', 'x-request-id': 'mine' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok');
    for (const h of ['x-backend-hop', 'keep-alive', 'proxy-authenticate']) assert.equal(res.headers[h], undefined, `${h} reached the client`);
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers.server, 'backend/1.0');
    assert.equal(res.headers['x-request-id'], 'mine');
    assert.ok(res.headers.date);
    assert.equal(res.headers['content-length'], '2');
  });

  it('adds Date and Server: rauta when the backend sends none', async () => {
    const res = await get(rauta.httpPort, '/', { host: 'headers.test' });
    assert.equal(res.headers.server, 'rauta');
    assert.ok(!Number.isNaN(Date.parse(String(res.headers.date))));
  });

  it('frames a response without Content-Length as chunked', async () => {
    const answer = await rawRequest(rauta.httpPort, 'GET /stream HTTP/1.1\r\nHost: headers.test\r\nConnection: close\r\n\r\n');
    assert.equal(rawStatus(answer), 200);
    const h = Object.fromEntries(rawHeaders(answer));
    assert.equal(h['transfer-encoding'], 'chunked');
    assert.equal(h['content-length'], undefined);
    assert.match(answer, /part one, [\s\S]*part two/);
  });

  it('forwards a Content-Length request body completely', async () => {
    const body = Buffer.alloc(100_000, 'a');
    const res = await get(rauta.httpPort, '/upload', { host: 'headers.test', 'content-type': 'text/plain' }, 'POST', body);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { bytes: body.length });
    assert.equal(last().headers['content-length'], String(body.length));
  });

  it('forwards a chunked request body completely, re-chunked', async () => {
    const raw = 'POST /upload HTTP/1.1\r\nHost: headers.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const answer = await rawRequest(rauta.httpPort, raw);
    assert.equal(rawStatus(answer), 200);
    assert.equal(last().body.toString(), 'hello world');
    assert.equal(last().headers['transfer-encoding'], 'chunked');
  });

  it('an absolute-form request target routes by its authority and reaches the backend in origin-form', async () => {
    const answer = await rawRequest(rauta.httpPort, 'GET http://headers.test/abs?x=1 HTTP/1.1\r\nHost: elsewhere.test\r\nConnection: close\r\n\r\n');
    assert.equal(rawStatus(answer), 200, answer);
    assert.equal(last().url, '/abs?x=1');
    assert.equal(last().headers.host, 'headers.test');
    const unusable = await rawRequest(rauta.httpPort, 'GET http://user:pw@headers.test/ HTTP/1.1\r\nHost: headers.test\r\n\r\n');
    assert.equal(rawStatus(unusable), 400);
  });

  it('Expect: 100-continue uploads go through', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, method: 'PUT', path: '/upload', agent: false, headers: { host: 'headers.test', expect: '100-continue', 'content-length': 5 } }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => { body += c.toString(); });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('continue', () => req.end('hello'));
      req.on('error', reject);
    });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { bytes: 5 });
  });

  it('a chunked body on a GET stays framed: the backend sees one request, never a smuggled second one', async () => {
    const before = backend.seen.length;
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: headers.test\r\n\r\n';
    const raw = `GET /with-body HTTP/1.1\r\nHost: headers.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    const answer = await rawRequest(rauta.httpPort, raw);
    assert.equal(rawStatus(answer), 200);
    await new Promise((r) => setTimeout(r, 100));
    const urls = backend.seen.slice(before).map((s) => s.url);
    assert.deepEqual(urls, ['/with-body']);
    assert.equal(last().body.toString(), smuggled);
  });
});
