import { performance } from 'node:perf_hooks';
import type { RouteTable } from '../src/routing/route-table.ts';
import type { Ingress, ObjectSet } from '../src/sources/object-set.ts';
import { translate } from '../src/translate/translate.ts';
import { endpointSlice, ingress, ingressClass, service } from '../test/support/manifests.ts';

/**
 * Route lookup time against route tables built from 10 and 10,000 Ingresses (the goal: within
 * 20% of each other). Every Ingress has its own host with three paths plus a wildcard host; half of the
 * requests go to wildcard hosts. Two traffic mixes:
 *  - `hot`: requests spread over the same 10 hosts in both tables, so only the table size differs (the
 *    goal is judged on this one);
 *  - `spread`: requests cycle over every host of the table, so the large table's working set no longer
 *    fits the CPU caches (reported, to show what that costs).
 * Usage: node bench/lookup.ts [--json]
 */

export interface LookupResult {
  readonly ingresses: number;
  readonly mix: Mix;
  readonly routes: number;
  /** Median over repeats, nanoseconds per `RouteTable.match`. */
  readonly nsPerLookup: number;
}

export function objectSet(n: number): ObjectSet {
  const ingresses: Ingress[] = [];
  const services = [];
  const slices = [];
  for (let i = 0; i < n; i++) {
    const name = `app-${i}`;
    ingresses.push(ingress(name, {
      rules: [
        { host: `${name}.bench.local`, paths: [{ path: '/', service: name }, { path: '/api', service: name }, { path: '/static/app.js', pathType: 'Exact', service: name }] },
        { host: `*.${name}.wild.local`, paths: [{ path: '/', service: name }] },
      ],
    }) as unknown as Ingress);
    services.push(service(name));
    slices.push(endpointSlice(name, 8080, [{ ip: `10.0.${(i >> 8) & 255}.${i & 255}` }]));
  }
  return {
    ingresses,
    ingressClasses: [ingressClass() as never],
    services: services as never[],
    endpointSlices: slices as never[],
    secrets: [],
    problems: [],
  };
}

export type Mix = 'hot' | 'spread';

function queries(n: number, mix: Mix, count: number): { host: string; path: string }[] {
  const out: { host: string; path: string }[] = [];
  const paths = ['/api/v1/items/42', '/', '/static/app.js', '/index.html'];
  const hosts = mix === 'hot' ? 10 : n;
  for (let q = 0; q < count; q++) {
    // A multiplicative step visits the hosts in a scattered order.
    const i = (q * 7919) % hosts;
    const host = q % 2 === 0 ? `app-${i}.bench.local` : `pod-${q % 13}.app-${i}.wild.local:8080`;
    out.push({ host, path: paths[q % paths.length] });
  }
  return out;
}

export function measureLookup(table: RouteTable, n: number, mix: Mix, opts: { lookups?: number; repeats?: number } = {}): LookupResult {
  const qs = queries(n, mix, 20_000);
  const lookups = opts.lookups ?? 400_000;
  const repeats = opts.repeats ?? 5;
  let misses = 0;
  const samples: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const t0 = performance.now();
    for (let k = 0; k < lookups; k++) {
      const q = qs[k % qs.length];
      if (table.match(q.host, q.path) === undefined) misses++;
    }
    const ns = ((performance.now() - t0) * 1e6) / lookups;
    if (r > 0) samples.push(ns); // the first pass warms the JIT
  }
  if (misses > 0) throw new Error(`lookup bench: ${misses} lookups found no route (the generated table is wrong)`);
  samples.sort((a, b) => a - b);
  return { ingresses: n, mix, routes: table.routes.length, nsPerLookup: samples[samples.length >> 1] };
}

export interface LookupReport {
  readonly results: readonly LookupResult[];
  /** 10,000 ÷ 10 Ingresses with the `hot` mix; the goal is ≤ 1.2. */
  readonly ratio: number;
  /** The same with the `spread` mix (informational). */
  readonly spreadRatio: number;
}

function build(n: number): RouteTable {
  return translate(objectSet(n), { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller' }).table;
}

export function runLookupBench(): LookupReport {
  const small = build(10);
  const large = build(10_000);
  const results = [
    measureLookup(small, 10, 'hot'),
    measureLookup(large, 10_000, 'hot'),
    measureLookup(small, 10, 'spread'),
    measureLookup(large, 10_000, 'spread'),
  ];
  return { results, ratio: results[1].nsPerLookup / results[0].nsPerLookup, spreadRatio: results[3].nsPerLookup / results[2].nsPerLookup };
}

if (import.meta.main) {
  const r = runLookupBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    for (const x of r.results) process.stdout.write(`lookup: ${String(x.ingresses).padStart(5)} Ingresses (${x.routes} routes), ${x.mix.padEnd(6)} mix: ${x.nsPerLookup.toFixed(1)} ns/lookup\n`);
    process.stdout.write(`lookup: 10,000 ÷ 10 Ingresses, hot mix: ${r.ratio.toFixed(2)} (goal ≤ 1.20: ${r.ratio <= 1.2 ? 'PASS' : 'MISS'}); spread mix: ${r.spreadRatio.toFixed(2)} (CPU cache misses, not more probes)\n`);
  }
}
