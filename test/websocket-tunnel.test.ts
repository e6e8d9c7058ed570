import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { startEcho } from '../src/demo/echo-server.ts';
import { makeCert, tlsSecret } from './support/certs.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

interface Backend { readonly port: number; readonly handshakes: IncomingHttpHeaders[]; close(): Promise<void> }

/** A `ws` echo server answering `<name>:<message>`. */
async function wsBackend(name: string, host: string): Promise<Backend> {
  const handshakes: IncomingHttpHeaders[] = [];
  const wss = new WebSocketServer({ host, port: 0 });
  wss.on('connection', (socket, req) => {
    handshakes.push(req.headers);
    socket.on('message', (data) => socket.send(`${name}:${String(data)}`));
  });
  await new Promise((r) => wss.once('listening', r));
  return {
    port: (wss.address() as AddressInfo).port,
    handshakes,
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }),
  };
}

function objects(svc: string, port: number, ip: string, cert = makeCert(['ws.test'])): Obj[] {
  return [
    ingressClass(),
    ingress('ws', { rules: [{ host: 'ws.test', paths: [{ service: svc }] }], tls: [{ hosts: ['ws.test'], secretName: 'ws-tls' }], annotations: { 'rauta.io/ssl-redirect': 'false' } }),
    service(svc),
    endpointSlice(svc, port, [{ ip, pod: `${svc}-0` }]),
    tlsSecret('ws-tls', cert),
  ];
}

async function openWs(url: string): Promise<WebSocket> {
  // `ws` hands servername on to tls.connect; its ClientOptions type does not list it.
  const options: WebSocket.ClientOptions & { servername: string } = { headers: { host: 'ws.test' }, servername: 'ws.test', rejectUnauthorized: false };
  const ws = new WebSocket(url, options);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

function roundTrip(ws: WebSocket, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(String(data)));
    ws.once('error', reject);
    ws.send(msg);
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(0);
    else ws.once('close', (code) => resolve(code));
  });
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('websocket - tunnels through both listeners', () => {
  let blue: Backend;
  let green: Backend;
  let p: RecordingPipeline;
  before(async () => {
    blue = await wsBackend('blue', '127.0.0.4');
    green = await wsBackend('green', '127.0.0.5');
    p = await startRecordingPipeline(objects('blue', blue.port, '127.0.0.4'));
  });
  after(async () => {
    await p.stop();
    await blue.close();
    await green.close();
  });

  it('echoes over the plain port and records one websocket event with bytes both ways', async () => {
    const ws = await openWs(`ws://127.0.0.1:${p.httpPort}/chat`);
    assert.equal(await roundTrip(ws, 'hello'), 'blue:hello');
    assert.equal(await roundTrip(ws, 'x'.repeat(70_000)), `blue:${'x'.repeat(70_000)}`);
    assert.equal(p.active.size, 1);
    ws.close();
    await closed(ws);
    await until(() => p.finished.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(p.finished.length, 1, 'finish runs exactly once');
    const rec = p.finished[0];
    assert.equal(rec.protocol, 'websocket');
    assert.equal(rec.statusCode, 101);
    assert.equal(rec.path, '/chat');
    assert.ok(rec.bytesIn > 70_000, `bytesIn ${rec.bytesIn}`);
    assert.ok(rec.bytesOut > 70_000, `bytesOut ${rec.bytesOut}`);
    assert.ok(rec.durationMs > 0);
    assert.equal(p.active.size, 0);
    assert.equal(blue.handshakes.at(-1)?.['x-forwarded-proto'], 'http');
    assert.equal(blue.handshakes.at(-1)?.host, 'ws.test');
  });

  it('echoes over TLS (wss) with X-Forwarded-Proto https', async () => {
    const ws = await openWs(`wss://127.0.0.1:${p.httpsPort}/secure`);
    assert.equal(await roundTrip(ws, 'tls'), 'blue:tls');
    assert.equal(blue.handshakes.at(-1)?.['x-forwarded-proto'], 'https');
    ws.close();
    await closed(ws);
  });

  it('keeps an open tunnel across a route change and a certificate reload; new tunnels follow the new route', async () => {
    const plain = await openWs(`ws://127.0.0.1:${p.httpPort}/long`);
    const tls = await openWs(`wss://127.0.0.1:${p.httpsPort}/long`);
    p.apply(objects('green', green.port, '127.0.0.5', makeCert(['ws.test'])));
    assert.equal(await roundTrip(plain, 'still'), 'blue:still');
    assert.equal(await roundTrip(tls, 'still'), 'blue:still');
    const fresh = await openWs(`ws://127.0.0.1:${p.httpPort}/new`);
    assert.equal(await roundTrip(fresh, 'hi'), 'green:hi');
    for (const ws of [plain, tls, fresh]) ws.close();
    await Promise.all([plain, tls, fresh].map(closed));
  });

  it('answers a handshake for an unknown host with 404 and records it', async () => {
    const before = p.finished.length;
    const ws = new WebSocket(`ws://127.0.0.1:${p.httpPort}/`, { headers: { host: 'nope.test' } });
    ws.on('error', () => {});
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    ws.terminate();
    assert.equal(status, 404);
    await until(() => p.finished.length === before + 1);
    assert.equal(p.finished.at(-1)?.error?.code, 'RAUTA_ERR_NO_ROUTE');
  });
});

describe('websocket - a pod that does not upgrade', () => {
  it('has its answer relayed and recorded', async () => {
    const echo = await startEcho({ namespace: 'default', ingress: 'ws', service: 'plain', pod: 'plain-0' }, '127.0.0.13');
    const p = await startRecordingPipeline(objects('plain', echo.port, '127.0.0.13'));
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${p.httpPort}/nope`, { headers: { host: 'ws.test' } });
      ws.on('error', () => {});
      const res = await new Promise<{ status: number; body: string }>((resolve) => ws.once('unexpected-response', (_req, r) => {
        let body = '';
        r.on('data', (c: Buffer) => { body += String(c); });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      }));
      ws.terminate();
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).path, '/nope');
      await until(() => p.finished.length === 1);
      assert.equal(p.finished.length, 1);
      assert.equal(p.finished[0].statusCode, 200);
      assert.equal(p.finished[0].protocol, 'websocket');
      assert.ok(p.finished[0].bytesOut > 0);
    } finally {
      await p.stop();
      await echo.close();
    }
  });
});

describe('websocket - idle timeout and shutdown grace', () => {
  let backend: Backend;
  before(async () => {
    backend = await wsBackend('b', '127.0.0.6');
  });
  after(async () => {
    await backend.close();
  });

  it('closes a tunnel idle for RAUTA_WEBSOCKET_IDLE_TIMEOUT_SECONDS; traffic either way resets the timer', async () => {
    const p = await startRecordingPipeline(objects('b', backend.port, '127.0.0.6'), { RAUTA_WEBSOCKET_IDLE_TIMEOUT_SECONDS: '0.4' });
    try {
      const ws = await openWs(`ws://127.0.0.1:${p.httpPort}/idle`);
      for (let i = 0; i < 8; i++) {
        assert.equal(await roundTrip(ws, `m${i}`), `b:m${i}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(ws.readyState, WebSocket.OPEN, 'traffic kept the tunnel open past the idle timeout');
      const t0 = Date.now();
      await closed(ws);
      const idleMs = Date.now() - t0;
      assert.ok(idleMs < 2000, `closed after ${idleMs}ms of silence`);
    } finally {
      await p.stop();
    }
  });

  it('lets a tunnel run during the shutdown grace period, then cuts it', async () => {
    const rauta: RunningRauta = await startStandalone(toYaml(objects('b', backend.port, '127.0.0.6')), { RAUTA_SHUTDOWN_GRACE_SECONDS: '1' });
    const ws = await openWs(`ws://127.0.0.1:${rauta.httpPort}/grace`);
    const t0 = Date.now();
    const stopping = rauta.stop();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await roundTrip(ws, 'during'), 'b:during');
    await closed(ws);
    const elapsed = Date.now() - t0;
    await stopping;
    assert.ok(elapsed >= 900, `tunnel cut after ${elapsed}ms, before the 1 s grace`);
  });
});
