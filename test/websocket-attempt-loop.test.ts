import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { rawRequest, rawStatus, refusedPort, startRawBackend } from './support/backends.ts';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

interface EndpointView { key: string; health: string; consecutive_failures: number; in_flight: number }

describe('websocket - handshakes run through the shared attempt loop', () => {
  let wss: WebSocketServer;
  let resetter: Awaited<ReturnType<typeof startRawBackend>>;
  let rauta: RunningRauta;
  let live: string;
  const urls: string[] = [];
  before(async () => {
    wss = new WebSocketServer({ host: '127.0.0.31', port: 0 });
    wss.on('connection', (s, req) => {
      urls.push(req.url ?? '');
      s.on('message', (d) => s.send(`echo:${String(d)}`));
    });
    await new Promise((r) => wss.once('listening', r));
    const livePort = (wss.address() as AddressInfo).port;
    live = `127.0.0.31:${livePort}`;
    // Reads the handshake, then resets the connection before answering anything.
    resetter = await startRawBackend('127.0.0.32', (s) => s.once('data', () => s.resetAndDestroy()));
    const refused = await refusedPort('127.0.0.33');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('ws', { rules: [{ host: 'wsloop.test', paths: [{ service: 'chat' }] }], annotations: { 'rauta.io/retries': '2' } }),
      service('chat'),
      endpointSlice('chat', livePort, [{ ip: '127.0.0.31', pod: 'chat-live' }], { name: 'chat-a' }),
      endpointSlice('chat', resetter.port, [{ ip: '127.0.0.32', pod: 'chat-reset' }], { name: 'chat-b' }),
      endpointSlice('chat', refused, [{ ip: '127.0.0.33', pod: 'chat-refused' }], { name: 'chat-c' }),
    ]), { RAUTA_PASSIVE_FAILURE_THRESHOLD: '2', RAUTA_MAX_EJECTION_PERCENT: '100' });
  });
  after(async () => {
    await rauta.stop();
    await resetter.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });

  const endpoints = async (): Promise<EndpointView[]> => {
    const { json } = await getJson<{ backends: { endpoints: EndpointView[] }[] }>(rauta.adminPort, '/backends');
    return json.backends.flatMap((b) => b.endpoints);
  };

  it('a reset before the answer is retried elsewhere, failures feed passive health, open tunnels count as in flight', async () => {
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${rauta.httpPort}/room`, { headers: { host: 'wsloop.test' } });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        sockets.push(ws);
        const reply = await new Promise<string>((resolve) => {
          ws.once('message', (d) => resolve(String(d)));
          ws.send(`m${i}`);
        });
        assert.equal(reply, `echo:m${i}`);
      }
      const during = await endpoints();
      assert.equal(during.find((e) => e.key === live)?.in_flight, 6, 'six open tunnels are in flight on the live endpoint');
      const failing = during.filter((e) => e.key !== live);
      assert.ok(failing.every((e) => e.health === 'ejected' || e.consecutive_failures > 0), JSON.stringify(failing));
      assert.ok(failing.some((e) => e.health === 'ejected'), JSON.stringify(failing));
    } finally {
      for (const ws of sockets) ws.close();
    }
    const deadline = Date.now() + 5000;
    let after: EndpointView[] = [];
    while (Date.now() < deadline) {
      after = await endpoints();
      if (after.every((e) => e.in_flight === 0)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(after.every((e) => e.in_flight === 0), JSON.stringify(after));
  });

  it('handshake paths are normalised like any request: the pod sees the matched path, climbing above / is 400', async () => {
    // Raw handshakes: a WebSocket client library would normalise the URL itself.
    const handshake = (target: string) => rawRequest(rauta.httpPort,
      `GET ${target} HTTP/1.1\r\nHost: wsloop.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 500);
    assert.equal(rawStatus(await handshake('/lobby/../room/./a')), 101);
    assert.equal(urls[urls.length - 1], '/room/a');
    const refused = await handshake('/../room');
    assert.equal(rawStatus(refused), 400);
    assert.match(refused, /RAUTA_ERR_BAD_REQUEST/);
  });
});
