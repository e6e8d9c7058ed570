import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/**
 * The forwarding client (undici dispatcher, src/proxy/forward.ts): bodies both ways, the error kinds its
 * failures map to, and a client that leaves mid-response.
 */
const BIG = 8 * 1024 * 1024;

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, host, () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

describe('proxy - upstream client', () => {
  let echo: EchoServer;
  let slow: { server: Server; port: number };
  let big: { server: Server; port: number };
  let endless: { server: Server; port: number };
  let endlessCut = 0;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'up', service: 'echo', pod: 'echo-0' }, '127.0.0.21');
    // Answers after 3 s: longer than the 1 s response timeout below.
    slow = await listen((_req, res) => {
      const t = setTimeout(() => res.end('late'), 3000);
      res.on('close', () => clearTimeout(t));
    }, '127.0.0.22');
    // 8 MB in 64 KB chunks, honouring backpressure.
    big = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG });
      const chunk = Buffer.alloc(64 * 1024, 97);
      let sent = 0;
      const pump = () => {
        while (sent < BIG) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    }, '127.0.0.23');
    // Streams 16 KB every 10 ms (for at most 10 s) until the connection closes.
    endless = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 98);
      const timer = setInterval(() => res.write(chunk), 10);
      const stop = setTimeout(() => res.end(), 10_000);
      res.on('close', () => {
        clearInterval(timer);
        clearTimeout(stop);
        if (!res.writableFinished) endlessCut++;
      });
    }, '127.0.0.25');
    const closedPort = await listen(() => {}, '127.0.0.24');
    await close(closedPort.server);
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('up', {
        annotations: { 'rauta.io/retries': '0' },
        rules: [
          { host: 'echo.test', paths: [{ path: '/', service: 'echo' }] },
          { host: 'slow.test', paths: [{ path: '/', service: 'slow' }] },
          { host: 'big.test', paths: [{ path: '/', service: 'big' }] },
          { host: 'refused.test', paths: [{ path: '/', service: 'refused' }] },
          { host: 'endless.test', paths: [{ path: '/', service: 'endless' }] },
        ],
      }),
      service('echo'), service('slow'), service('big'), service('refused'), service('endless'),
      endpointSlice('echo', echo.port, [{ ip: '127.0.0.21', pod: 'echo-0' }]),
      endpointSlice('slow', slow.port, [{ ip: '127.0.0.22', pod: 'slow-0' }]),
      endpointSlice('big', big.port, [{ ip: '127.0.0.23', pod: 'big-0' }]),
      endpointSlice('refused', closedPort.port, [{ ip: '127.0.0.24', pod: 'refused-0' }]),
      endpointSlice('endless', endless.port, [{ ip: '127.0.0.25', pod: 'endless-0' }]),
    ]), { RAUTA_UPSTREAM_RESPONSE_TIMEOUT_SECONDS: '1' });
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
    await close(slow.server);
    await close(big.server);
    await close(endless.server);
  });

  it('forwards a request body with Content-Length, and Expect: 100-continue is answered by RAUTA', async () => {
    const body = Buffer.alloc(300_000, 120);
    const res = await get(rauta.httpPort, '/upload', { host: 'echo.test', 'content-length': String(body.length), expect: '100-continue' }, 'POST', body);
    assert.equal(res.status, 200);
    const json = JSON.parse(res.body) as { body_bytes: number; method: string; headers: Record<string, string> };
    assert.equal(json.method, 'POST');
    assert.equal(json.body_bytes, body.length);
    assert.equal(json.headers.expect, undefined);
  });

  it('forwards a chunked request body completely', async () => {
    const json = await new Promise<{ body_bytes: number; headers: Record<string, string> }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, path: '/chunked', method: 'POST', headers: { host: 'echo.test' }, agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString())));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(10_000, 65));
      req.end();
    });
    assert.equal(json.body_bytes, 100_000);
    assert.equal(json.headers['transfer-encoding'], 'chunked');
  });

  it('relays an 8 MB response completely', async () => {
    const res = await get(rauta.httpPort, '/file', { host: 'big.test' });
    assert.equal(res.status, 200);
    assert.equal(Buffer.byteLength(res.body), BIG);
  });

  it('a backend that does not answer in time → 504 RAUTA_ERR_UPSTREAM_TIMEOUT', async () => {
    const res = await get(rauta.httpPort, '/', { host: 'slow.test' });
    assert.equal(res.status, 504);
    assert.match(res.body, /RAUTA_ERR_UPSTREAM_TIMEOUT/);
  });

  it('a refused connection → 502 RAUTA_ERR_UPSTREAM_CONNECT', async () => {
    const res = await get(rauta.httpPort, '/', { host: 'refused.test' });
    assert.equal(res.status, 502);
    assert.match(res.body, /RAUTA_ERR_UPSTREAM_CONNECT/);
  });

  it('a client leaving mid-response stops the upstream transfer', async () => {
    const before = endlessCut;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, path: '/stream', headers: { host: 'endless.test' }, agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'ECONNRESET') reject(err); });
      req.end();
    });
    const deadline = Date.now() + 5000;
    while (endlessCut === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(endlessCut, before + 1, 'the backend connection was not cut after the client left');
  });
});
