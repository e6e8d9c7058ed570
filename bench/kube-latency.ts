/**
 * Kubernetes mode: time from a change at the API server (the fake one, over real HTTP) to RAUTA serving
 * it, through the real client-node watch, the debounce, translation and the table swap. Measured from
 * the write until the first request that sees the new route (polled every millisecond over one kept-alive
 * loopback connection).
 *
 *   ./node_modules/.bin/node bench/kube-latency.ts
 */
import { Agent, request } from 'node:http';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { FakeApiServer } from '../test/support/fake-apiserver/server.ts';
import { startKubeRauta } from '../test/support/kube-harness.ts';
import { endpointSlice, ingress, ingressClass, service } from '../test/support/manifests.ts';

export interface LatencyStats { readonly samples: number; readonly medianMs: number; readonly p99Ms: number; readonly maxMs: number }
export interface KubeLatencyResult {
  readonly debounceMs: number;
  readonly maxDebounceMs: number;
  readonly ingress: LatencyStats;
  readonly endpointSlice: LatencyStats;
}

/** One kept-alive connection: polling with fresh connections would exhaust ephemeral ports (TIME_WAIT) and skew the tail. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function probe(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(ok: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error('change not served in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

function stats(xs: number[]): LatencyStats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => Number(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)].toFixed(1));
  return { samples: s.length, medianMs: at(0.5), p99Ms: at(0.99), maxMs: Number(s[s.length - 1].toFixed(1)) };
}

export async function kubeLatency(opts: { samples?: number; debounceMs?: number; maxDebounceMs?: number } = {}): Promise<KubeLatencyResult> {
  const samples = opts.samples ?? 200;
  const debounceMs = opts.debounceMs ?? 100;
  const maxDebounceMs = opts.maxDebounceMs ?? 1000;
  const api = await FakeApiServer.start();
  const pods: EchoServer[] = [
    await startEcho({ namespace: 'default', ingress: 'lat', service: 'lat', pod: 'pod-a' }, '127.0.0.2'),
    await startEcho({ namespace: 'default', ingress: 'lat', service: 'lat', pod: 'pod-b' }, '127.0.0.3'),
  ];
  const slice = (i: number) => endpointSlice('lat', pods[i % 2].port, [{ ip: i % 2 === 0 ? '127.0.0.2' : '127.0.0.3', pod: i % 2 === 0 ? 'pod-a' : 'pod-b' }]);
  for (const o of [ingressClass(), service('lat'), slice(0), ingress('lat', { rules: [{ host: 'lat.test', paths: [{ path: '/', service: 'lat' }] }] })]) api.put(o);
  const rauta = await startKubeRauta(api, { RAUTA_CONFIG_DEBOUNCE_MS: String(debounceMs), RAUTA_CONFIG_MAX_DEBOUNCE_MS: String(maxDebounceMs), RAUTA_LOG_LEVEL: 'silent' });
  const ing: number[] = [];
  const eps: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const host = `new-${i}.test`;
      const t0 = performance.now();
      api.put(ingress(`new-${i}`, { rules: [{ host, paths: [{ path: '/', service: 'lat' }] }] }));
      await until(async () => (await probe(rauta.httpPort, host)).status === 200, 10_000);
      ing.push(performance.now() - t0);

      const wantPod = (i + 1) % 2 === 0 ? 'pod-a' : 'pod-b';
      const t1 = performance.now();
      api.put(slice(i + 1));
      await until(async () => (await probe(rauta.httpPort, 'lat.test')).body.includes(`"${wantPod}"`), 10_000);
      eps.push(performance.now() - t1);
      await new Promise((r) => setTimeout(r, 20)); // changes arrive one at a time, not as one burst
    }
  } finally {
    await rauta.stop();
    await api.close();
    for (const p of pods) await p.close();
    agent.destroy();
  }
  return { debounceMs, maxDebounceMs, ingress: stats(ing), endpointSlice: stats(eps) };
}

if (import.meta.main) {
  for (const debounceMs of [100, 0]) {
    const r = await kubeLatency({ debounceMs });
    console.log(`debounce ${r.debounceMs} ms (max ${r.maxDebounceMs} ms):`);
    console.table({ Ingress: r.ingress, EndpointSlice: r.endpointSlice });
  }
}
