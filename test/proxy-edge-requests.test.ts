import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, rawRequest, rawStatus, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, routeYaml, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('proxy - edge requests: pipelined malformed, h2c preface, no Host, CONNECT', () => {
  let backend: TestBackend;
  let p: RecordingPipeline;
  before(async () => {
    backend = await startBackend('127.0.0.23', (req, res, body) => {
      const delay = req.url === '/slow' ? 200 : 0;
      setTimeout(() => res.end(`${req.method} ${req.url} ${body.toString()}`), delay);
    });
    p = await startRecordingPipeline([
      ingressClass(),
      ingress('edge', { rules: [{ host: 'edge.test', paths: [{ service: 'edge' }] }] }),
      service('edge'),
      endpointSlice('edge', backend.port, [{ ip: backend.ip, pod: 'edge-0' }]),
    ], { RAUTA_H2C: 'true' });
  });
  after(async () => {
    await p.stop();
    await backend.close();
  });

  it('a valid pipelined request followed by a malformed one still gets its response, then a 400', async () => {
    const answer = await rawRequest(p.httpPort,
      'GET /slow HTTP/1.1\r\nHost: edge.test\r\n\r\n' +
      'POST /bad HTTP/1.1\r\nHost: edge.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx', 3000);
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 400], answer);
    assert.match(answer, /GET \/slow /);
    assert.ok(answer.indexOf('GET /slow') < answer.indexOf('400 Bad Request'));
  });

  it('with h2c on, an HTTP/1.1 request whose first read is just `P` is served as HTTP/1.1', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(p.httpPort, '127.0.0.1');
      let out = '';
      s.on('data', (d) => { out += d.toString('latin1'); });
      s.on('error', reject);
      s.on('close', () => resolve(out));
      s.write('P');
      setTimeout(() => s.write('OST /p HTTP/1.1\r\nHost: edge.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'), 100);
    });
    assert.equal(rawStatus(answer), 200, answer);
    assert.match(answer, /POST \/p ok$/);
  });

  it('a request without Host gets 400 and an event', async () => {
    const before = p.finished.length;
    const answer = await rawRequest(p.httpPort, 'GET /nohost HTTP/1.1\r\n\r\n');
    assert.equal(rawStatus(answer), 400);
    await until(() => p.finished.length > before);
    const rec = p.finished[p.finished.length - 1];
    assert.equal(rec.statusCode, 400);
    assert.equal(rec.path, '/nohost');
    assert.equal(rec.error?.code, 'RAUTA_ERR_BAD_REQUEST');
  });

  it('CONNECT gets 405 and an event', async () => {
    const before = p.finished.length;
    const answer = await rawRequest(p.httpPort, 'CONNECT edge.test:443 HTTP/1.1\r\nHost: edge.test:443\r\n\r\n');
    assert.equal(rawStatus(answer), 405, answer);
    await until(() => p.finished.length > before);
    const rec = p.finished[p.finished.length - 1];
    assert.equal(rec.method, 'CONNECT');
    assert.equal(rec.statusCode, 405);
    assert.equal(rec.error?.code, 'RAUTA_ERR_METHOD_NOT_ALLOWED');
  });

  it('HTTP/1.1 records carry the upstream duration', async () => {
    const before = p.finished.length;
    const res = await get(p.httpPort, '/slow', { host: 'edge.test' });
    assert.equal(res.status, 200);
    await until(() => p.finished.length > before);
    const rec = p.finished[p.finished.length - 1];
    assert.equal(rec.protocol, 'HTTP/1.1');
    assert.ok(rec.upstreamDurationMs !== undefined && rec.upstreamDurationMs >= 150, `upstream ${rec.upstreamDurationMs}`);
    assert.ok(rec.durationMs >= rec.upstreamDurationMs);
  });
});

describe('telemetry - upstream duration reaches the event and the histogram', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  before(async () => {
    backend = await startBackend('127.0.0.24', (_req, res) => setTimeout(() => res.end('ok'), 20));
    rauta = await startStandalone(routeYaml('dur.test', [{ ip: backend.ip, port: backend.port }]));
  });
  after(async () => {
    await rauta.stop();
    await backend.close();
  });

  it('every HTTP/1.1 event has upstream_duration_ms and rauta_upstream_duration_seconds has a series', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get(rauta.httpPort, `/d${i}`, { host: 'dur.test' })).status, 200);
    let events: { data: { path: string; upstream_duration_ms?: number } }[] = [];
    for (let i = 0; i < 100; i++) {
      events = JSON.parse((await get(rauta.adminPort, '/requests?format=json')).body);
      if (events.filter((e) => e.data.path.startsWith('/d')).length >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const mine = events.filter((e) => e.data.path.startsWith('/d'));
    assert.equal(mine.length, 3);
    for (const e of mine) assert.ok(typeof e.data.upstream_duration_ms === 'number' && e.data.upstream_duration_ms >= 15, JSON.stringify(e.data));
    const metrics = (await get(rauta.adminPort, '/metrics')).body;
    assert.match(metrics, /rauta_upstream_duration_seconds_count\{namespace="default",service="web"\} 3/);
  });
});
