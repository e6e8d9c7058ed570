import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, refusedPort, startBackend, startRawBackend } from './support/backends.ts';
import { type SimpleResponse, get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/** RAUTA's own error answers: status, stable code, and the request id in both header and body. */
function assertRautaError(res: SimpleResponse, status: number, code: string): void {
  assert.equal(res.status, status, res.body);
  assert.match(res.body, new RegExp(code));
  const id = String(res.headers['x-request-id']);
  assert.ok(res.body.includes(id), `body names request id ${id}: ${res.body}`);
  assert.equal(res.headers.server, 'rauta');
  assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)));
}

describe('proxy - errors RAUTA answers itself', () => {
  let rauta: RunningRauta;
  let silent: Awaited<ReturnType<typeof startRawBackend>>;
  let resetter: Awaited<ReturnType<typeof startRawBackend>>;
  let slow: TestBackend;
  let ok: TestBackend;
  const slowClosed: number[] = [];

  before(async () => {
    // Accepts, reads, never answers.
    silent = await startRawBackend('127.0.0.5');
    // Accepts and resets the connection as soon as the request arrives.
    resetter = await startRawBackend('127.0.0.6', (s) => s.once('data', () => s.resetAndDestroy()));
    // Answers after 5 s unless the request is abandoned first.
    slow = await startBackend('127.0.0.7', (req, res) => {
      const t = setTimeout(() => res.end('late'), 5000);
      res.on('close', () => {
        clearTimeout(t);
        slowClosed.push(Date.now());
      });
      void req;
    }, { streaming: true });
    ok = await startBackend('127.0.0.8', (_req, res) => res.end('fine'));
    const refused = await refusedPort('127.0.0.9');

    const svc = (name: string, ip: string, port: number, ready = true) => [
      service(name),
      endpointSlice(name, port, [{ ip, pod: `${name}-0`, ready }]),
    ];
    const rules = ['refused', 'reset', 'silent', 'slow', 'not-ready', 'no-endpoints', 'ghost', 'half-refused']
      .map((n) => ({ path: `/${n}`, service: n }));
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('errors', { rules: [{ host: 'errors.test', paths: rules }] }),
      ...svc('refused', '127.0.0.9', refused),
      ...svc('reset', '127.0.0.6', resetter.port),
      ...svc('silent', '127.0.0.5', silent.port),
      ...svc('slow', '127.0.0.7', slow.port),
      ...svc('not-ready', '127.0.0.8', ok.port, false),
      service('no-endpoints'),
      service('half-refused'),
      endpointSlice('half-refused', refused, [{ ip: '127.0.0.9', pod: 'half-0' }], { name: 'half-a' }),
      endpointSlice('half-refused', ok.port, [{ ip: '127.0.0.8', pod: 'half-1' }], { name: 'half-b' }),
    ]), { RAUTA_UPSTREAM_RESPONSE_TIMEOUT_SECONDS: '0.5' });
  });
  after(async () => {
    await rauta.stop();
    await Promise.all([silent.close(), resetter.close(), slow.close(), ok.close()]);
  });

  it('404 RAUTA_ERR_NO_ROUTE when nothing matches', async () => {
    assertRautaError(await get(rauta.httpPort, '/nowhere', { host: 'errors.test' }), 404, 'RAUTA_ERR_NO_ROUTE');
    assertRautaError(await get(rauta.httpPort, '/refused', { host: 'other.test' }), 404, 'RAUTA_ERR_NO_ROUTE');
  });

  it('502 RAUTA_ERR_UPSTREAM_CONNECT when the pod refuses the connection', async () => {
    assertRautaError(await get(rauta.httpPort, '/refused', { host: 'errors.test' }), 502, 'RAUTA_ERR_UPSTREAM_CONNECT');
  });

  it('502 RAUTA_ERR_UPSTREAM_RESET when the pod resets the connection', async () => {
    assertRautaError(await get(rauta.httpPort, '/reset', { host: 'errors.test' }), 502, 'RAUTA_ERR_UPSTREAM_RESET');
  });

  it('503 RAUTA_ERR_NO_ENDPOINTS when no endpoint is ready, or there are none', async () => {
    assertRautaError(await get(rauta.httpPort, '/not-ready', { host: 'errors.test' }), 503, 'RAUTA_ERR_NO_ENDPOINTS');
    assertRautaError(await get(rauta.httpPort, '/no-endpoints', { host: 'errors.test' }), 503, 'RAUTA_ERR_NO_ENDPOINTS');
  });

  it('503 RAUTA_ERR_BACKEND_INVALID when the Ingress names an unknown Service', async () => {
    assertRautaError(await get(rauta.httpPort, '/ghost', { host: 'errors.test' }), 503, 'RAUTA_ERR_BACKEND_INVALID');
  });

  it('504 RAUTA_ERR_UPSTREAM_TIMEOUT when the pod never answers (RAUTA_UPSTREAM_RESPONSE_TIMEOUT_SECONDS)', async () => {
    const started = performance.now();
    assertRautaError(await get(rauta.httpPort, '/silent', { host: 'errors.test' }), 504, 'RAUTA_ERR_UPSTREAM_TIMEOUT');
    const took = performance.now() - started;
    assert.ok(took >= 450 && took < 3000, `timed out after ${took} ms`);
  });

  it('a refused endpoint is skipped: the request succeeds on the next one', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await get(rauta.httpPort, '/half-refused', { host: 'errors.test' });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.body, 'fine');
    }
  });

  it('a client that gives up releases the upstream request at once', async () => {
    const closedBefore = slowClosed.length;
    const gaveUp = Date.now();
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, path: '/slow', headers: { host: 'errors.test' }, agent: false });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 150);
    });
    const deadline = Date.now() + 2000;
    while (slowClosed.length === closedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(slowClosed.length, closedBefore + 1, 'the backend request was not closed after the client left');
    assert.ok(slowClosed[slowClosed.length - 1] - gaveUp < 1500);
  });
});
