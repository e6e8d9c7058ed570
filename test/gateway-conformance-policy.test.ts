import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import { type Http2Server, createServer as createH2cServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { get } from './support/client.ts';
import { backendRef, gateway, gatewayClass, httpRoute, parent } from './support/gateway-manifests.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { type Obj, endpointSlice, toYaml } from './support/manifests.ts';

/**
 * Gateway API extended features that need a backend other than the echo pods, over real sockets:
 *
 * | case here                              | conformance test                      | feature                             |
 * |----------------------------------------|---------------------------------------|-------------------------------------|
 * | timeouts.request                       | HTTPRouteRequestTimeout               | HTTPRouteRequestTimeout             |
 * | timeouts.backendRequest                | HTTPRouteBackendTimeout               | HTTPRouteBackendTimeout             |
 * | CORS preflight and simple request      | HTTPRouteCORS                         | HTTPRouteCORS                       |
 * | appProtocol kubernetes.io/h2c          | HTTPRouteBackendProtocolH2C           | HTTPRouteBackendProtocolH2C         |
 * | WebSocket through an HTTPRoute         | HTTPRouteBackendProtocolWebSocket     | HTTPRouteBackendProtocolWebSocket   |
 * | two mirrors, one at 0 %                | HTTPRouteRequestMultipleMirrors, HTTPRouteRequestPercentageMirror | HTTPRouteRequestMultipleMirrors, HTTPRouteRequestPercentageMirror |
 */
const NS = 'policy';
const at = (path: string) => [{ path: { type: 'PathPrefix', value: path } }];
const svc = (name: string, ip: string, port: number, appProtocol?: string): Obj[] => [
  { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { ports: [{ name: 'http', port: 80, ...(appProtocol ? { appProtocol } : {}) }] } },
  endpointSlice(name, port, [{ ip, pod: `${name}-0` }], { namespace: NS }),
];
const listen = async <T extends Server | Http2Server>(s: T, ip: string): Promise<number> => {
  await new Promise<void>((r) => s.listen(0, ip, r));
  return (s.address() as AddressInfo).port;
};

describe('gateway conformance (standalone) - timeouts, CORS, h2c, WebSocket, mirrors', () => {
  let rauta: RunningRauta;
  const mirrored: Record<string, number> = { a: 0, b: 0 };
  // Answers after ?delay= ms.
  const slow = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    setTimeout(() => res.end(JSON.stringify({ path: url.pathname })), Number(url.searchParams.get('delay') ?? 0));
  });
  const mirrorA = createServer((req, res) => { mirrored.a++; req.resume(); res.end(); });
  const mirrorB = createServer((req, res) => { mirrored.b++; req.resume(); res.end(); });
  const h2c = createH2cServer((req, res) => res.end(JSON.stringify({ proto: req.httpVersion })));
  const wss = new WebSocketServer({ noServer: true });
  const ws = createServer((_req, res) => res.end('no upgrade'));
  ws.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (c) => c.on('message', (m) => c.send(`echo ${String(m)}`))));

  before(async () => {
    const ports = {
      slow: await listen(slow, '127.0.0.51'), a: await listen(mirrorA, '127.0.0.52'), b: await listen(mirrorB, '127.0.0.53'),
      h2c: await listen(h2c, '127.0.0.54'), ws: await listen(ws, '127.0.0.55'),
    };
    rauta = await startStandalone(toYaml([
      gatewayClass(), gateway(NS, 'gw', [{ name: 'web' }]),
      httpRoute(NS, 'policy', {
        parentRefs: [parent(NS, 'gw')], hostnames: ['policy.test'],
        rules: [
          { matches: at('/request-timeout'), timeouts: { request: '300ms' }, backendRefs: [backendRef('slow', 80)] },
          { matches: at('/backend-timeout'), timeouts: { request: '10s', backendRequest: '300ms' }, backendRefs: [backendRef('slow', 80)] },
          {
            matches: at('/cors'),
            filters: [{ type: 'CORS', cors: { allowOrigins: ['https://app.example'], allowMethods: ['GET', 'PUT'], allowHeaders: ['x-token'], exposeHeaders: ['x-trace'], maxAge: 600 } }],
            backendRefs: [backendRef('slow', 80)],
          },
          { matches: at('/h2c'), backendRefs: [backendRef('h2c', 80)] },
          { matches: at('/ws'), backendRefs: [backendRef('ws', 80)] },
          {
            matches: at('/mirror'),
            filters: [
              { type: 'RequestMirror', requestMirror: { backendRef: backendRef('mirror-a', 80) } },
              { type: 'RequestMirror', requestMirror: { backendRef: backendRef('mirror-b', 80), percent: 0 } },
            ],
            backendRefs: [backendRef('slow', 80)],
          },
        ],
      }),
      ...svc('slow', '127.0.0.51', ports.slow), ...svc('mirror-a', '127.0.0.52', ports.a), ...svc('mirror-b', '127.0.0.53', ports.b),
      ...svc('h2c', '127.0.0.54', ports.h2c, 'kubernetes.io/h2c'), ...svc('ws', '127.0.0.55', ports.ws, 'kubernetes.io/ws'),
    ]));
  });
  after(async () => {
    await rauta?.stop();
    for (const s of [slow, mirrorA, mirrorB, ws]) s.closeAllConnections();
    await Promise.all([slow, mirrorA, mirrorB, h2c, ws].map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  const host = { host: 'policy.test' };
  it('timeouts.request: a backend slower than it gets 504; a quick one passes', async () => {
    assert.equal((await get(rauta.httpPort, '/request-timeout?delay=1500', host)).status, 504);
    assert.equal((await get(rauta.httpPort, '/request-timeout?delay=0', host)).status, 200);
  });
  it('timeouts.backendRequest: the same for each backend request', async () => {
    assert.equal((await get(rauta.httpPort, '/backend-timeout?delay=1500', host)).status, 504);
    assert.equal((await get(rauta.httpPort, '/backend-timeout?delay=0', host)).status, 200);
  });
  it('CORS: preflight answered by RAUTA, simple requests get the allow headers', async () => {
    const pre = await get(rauta.httpPort, '/cors', { ...host, origin: 'https://app.example', 'access-control-request-method': 'PUT' }, 'OPTIONS');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
    assert.match(String(pre.headers['access-control-allow-methods']), /PUT/);
    const simple = await get(rauta.httpPort, '/cors', { ...host, origin: 'https://app.example' });
    assert.equal(simple.status, 200);
    assert.equal(simple.headers['access-control-allow-origin'], 'https://app.example');
    const other = await get(rauta.httpPort, '/cors', { ...host, origin: 'https://evil.example' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
  it('appProtocol kubernetes.io/h2c: the backend is spoken to over HTTP/2 cleartext', async () => {
    const res = await get(rauta.httpPort, '/h2c', host);
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { proto: string }).proto, '2.0');
  });
  it('a WebSocket upgrade goes through the route', async () => {
    const client = new WebSocket(`ws://127.0.0.1:${rauta.httpPort}/ws`, { headers: host });
    const reply = await new Promise<string>((resolve, reject) => {
      client.once('open', () => client.send('hi'));
      client.once('message', (m) => resolve(String(m)));
      client.once('error', reject);
    });
    client.close();
    assert.equal(reply, 'echo hi');
  });
  it('several mirrors: each gets its copy; one at 0 % gets none', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await get(rauta.httpPort, '/mirror', host)).status, 200);
    const deadline = Date.now() + 5000;
    while (mirrored.a < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(mirrored, { a: 5, b: 0 });
  });
});
