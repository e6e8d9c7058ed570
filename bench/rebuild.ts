/**
 * Route-table rebuild cost in Kubernetes mode, for 1,000 and 10,000 Ingresses (each with its own Service
 * and a 3-endpoint EndpointSlice): converting informer objects to an ObjectSet (what the first sync pays;
 * later rebuilds reuse the per-object cache), and translating an ObjectSet into an indexed RouteTable with
 * its fingerprint (what every rebuild pays). Heap is the memory retained by the ObjectSet and the table.
 *
 *   ./node_modules/.bin/node bench/rebuild.ts
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { KubernetesObject } from '@kubernetes/client-node';
import { toEndpointSlice, toIngress, toIngressClass, toService } from '../src/sources/kubernetes/normalize.ts';
import type { ObjectSet } from '../src/sources/object-set.ts';
import { translate } from '../src/translate/translate.ts';
import { TranslationMemo } from '../src/translate/memo.ts';

export interface RebuildResult {
  readonly ingresses: number;
  /** Raw informer objects → ObjectSet, cold cache (ms). */
  readonly normalizeMs: number;
  /** ObjectSet → RouteTable + fingerprint: median and worst of the runs (ms). */
  readonly translateMedianMs: number;
  readonly translateMaxMs: number;
  readonly runs: number;
  /** Heap retained by the ObjectSet and by one RouteTable (MiB). */
  readonly objectSetHeapMiB: number;
  readonly tableHeapMiB: number;
}

type Raw = KubernetesObject & Record<string, unknown>;

function rawObjects(n: number): { ingresses: Raw[]; services: Raw[]; slices: Raw[] } {
  const ingresses: Raw[] = [];
  const services: Raw[] = [];
  const slices: Raw[] = [];
  for (let i = 0; i < n; i++) {
    const ns = `ns-${i % 50}`;
    const name = `app-${i}`;
    // A Date, as client-node's list deserializer produces (watch events carry strings).
    const created = new Date(Date.UTC(2024, 0, 1) + i * 1000);
    ingresses.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
      metadata: { name, namespace: ns, uid: `uid-${i}`, resourceVersion: String(i), creationTimestamp: created, annotations: i % 10 === 0 ? { 'rauta.io/load-balance': 'round-robin' } : undefined },
      spec: {
        ingressClassName: 'rauta',
        rules: [{ host: `${name}.example.com`, http: { paths: [
          { path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } },
          { path: '/api', pathType: 'Prefix', backend: { service: { name, port: { name: 'http' } } } },
        ] } }],
      },
    });
    services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, creationTimestamp: created }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    slices.push({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-abc`, namespace: ns, labels: { 'kubernetes.io/service-name': name }, creationTimestamp: created },
      addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }],
      endpoints: [0, 1, 2].map((e) => ({ addresses: [`10.${(i >> 8) & 255}.${i & 255}.${e + 1}`], conditions: { ready: true }, targetRef: { kind: 'Pod', name: `${name}-${e}` } })),
    });
  }
  return { ingresses, services, slices };
}

function gcFn(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const heap = (gc: () => void) => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

async function one(n: number, gc: () => void): Promise<RebuildResult> {
  const raw = rawObjects(n);
  const h0 = heap(gc);
  const t0 = performance.now();
  const objects: ObjectSet = {
    ingresses: raw.ingresses.map(toIngress),
    ingressClasses: [toIngressClass({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'rauta' }, spec: { controller: 'rauta.io/ingress-controller' } })],
    services: raw.services.map(toService),
    endpointSlices: raw.slices.map(toEndpointSlice),
    secrets: [],
    problems: [],
  };
  const normalizeMs = performance.now() - t0;
  const h1 = heap(gc);
  const opts = { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller', memo: new TranslationMemo() };
  const runs = n >= 10_000 ? 5 : 15;
  const times: number[] = [];
  let kept = translate(objects, opts); // warm-up, and the table whose heap is measured
  const h2 = heap(gc);
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    kept = translate(objects, opts);
    times.push(performance.now() - s);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (kept.table.routes.length !== n * 2) throw new Error(`expected ${n * 2} routes, got ${kept.table.routes.length}`);
  times.sort((a, b) => a - b);
  const mib = (b: number) => Number((b / 1024 / 1024).toFixed(1));
  return {
    ingresses: n,
    normalizeMs: Number(normalizeMs.toFixed(1)),
    translateMedianMs: Number(times[Math.floor(times.length / 2)].toFixed(1)),
    translateMaxMs: Number(times[times.length - 1].toFixed(1)),
    runs,
    objectSetHeapMiB: mib(h1 - h0),
    tableHeapMiB: mib(h2 - h1),
  };
}

/** Runs both sizes; the main benchmark calls this. */
export async function rebuildBenchmark(sizes: readonly number[] = [1_000, 10_000]): Promise<RebuildResult[]> {
  const gc = gcFn();
  const results: RebuildResult[] = [];
  for (const n of sizes) results.push(await one(n, gc));
  return results;
}

if (import.meta.main) {
  const results = await rebuildBenchmark();
  console.table(results);
}
