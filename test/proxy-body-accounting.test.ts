import assert from 'node:assert/strict';
import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { get } from './support/client.ts';
import { type RequestEventJson, validRequestEvents } from './support/event-schema.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/**
 * What the event says a request moved (bytes_in, bytes_out) must be what really crossed the proxy, for
 * Content-Length and chunked bodies alike; and a streaming response must reach the client chunk by
 * chunk, not when the backend's next chunk arrives.
 */
describe('proxy - body bytes in events, and streamed responses', () => {
  let backend: Server;
  let rauta: RunningRauta;
  let releaseStream: (() => void) | undefined;

  before(async () => {
    backend = createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        releaseStream = () => res.end('data: last\n\n');
        return;
      }
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => {
        const body = `received ${n} bytes`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.31', () => r()));
    const port = (backend.address() as AddressInfo).port;
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('acct', { rules: [{ host: 'acct.test', paths: [{ path: '/', service: 'acct' }] }] }),
      service('acct'),
      endpointSlice('acct', port, [{ ip: '127.0.0.31', pod: 'acct-0' }]),
    ]));
  });
  after(async () => {
    await rauta.stop();
    backend.closeAllConnections();
    backend.close();
  });

  async function eventFor(requestId: string): Promise<RequestEventJson> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await get(rauta.adminPort, '/requests?format=json&limit=100');
      const hit = validRequestEvents(JSON.parse(res.body)).find((e) => e.data.request_id === requestId);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no event for request ${requestId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  function post(path: string, id: string, chunks: readonly Buffer[], chunked: boolean): Promise<{ status: number; body: string }> {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: rauta.httpPort, path, method: 'POST', agent: false,
        headers: { host: 'acct.test', 'x-request-id': id, ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(total) }) },
      }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  it('counts a Content-Length body exactly once', async () => {
    const body = Buffer.alloc(150_000, 'a');
    const res = await post('/upload', 'acct-length', [body], false);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'received 150000 bytes');
    const ev = await eventFor('acct-length');
    assert.equal(ev.data.bytes_in, 150_000);
    assert.equal(ev.data.bytes_out, Buffer.byteLength('received 150000 bytes'));
  });

  it('counts a chunked body exactly once', async () => {
    const chunks = [Buffer.alloc(1000, 'b'), Buffer.alloc(70_000, 'c'), Buffer.alloc(3, 'd')];
    const res = await post('/upload', 'acct-chunked', chunks, true);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'received 71003 bytes');
    const ev = await eventFor('acct-chunked');
    assert.equal(ev.data.bytes_in, 71_003);
  });

  it('relays a streamed response chunk by chunk', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, path: '/stream', headers: { host: 'acct.test' }, agent: false }, (res) => {
        res.once('data', (c: Buffer) => {
          resolve(c.toString());
          releaseStream?.();
          res.resume();
        });
      });
      req.on('error', reject);
      req.end();
      setTimeout(() => reject(new Error('the first chunk did not arrive while the backend held the stream open')), 3000).unref();
    });
    assert.equal(first, 'data: first\n\n');
  });
});
