import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { runLoad } from './load.ts';
import { BENCH_HOST, type RautaTarget, startRauta } from './rauta-target.ts';
import { median } from './report.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from '../test/support/manifests.ts';

/**
 * The worst request latency while RAUTA rebuilds its route table for 10,000 Ingresses (each with its
 * own Service and EndpointSlice, plus the bench route). One keep-alive client sends requests back to
 * back and records each latency; meanwhile the manifest changes twice: one EndpointSlice (a pod's IP),
 * then one Ingress more (a routing change). The window of each rebuild runs from the file write until
 * the new table is applied everywhere, plus 500 ms.
 */
export interface RebuildLatency {
  readonly workers: number;
  readonly ingresses: number;
  /** Typical latency before any rebuild (ms). */
  readonly baselineP50Ms: number;
  readonly baselineMaxMs: number;
  /** Worst latency during each rebuild, and how long the rebuild took until /routes showed it. */
  readonly endpointChange: { readonly maxMs: number; readonly appliedAfterMs: number; readonly requests: number };
  readonly ingressChange: { readonly maxMs: number; readonly appliedAfterMs: number; readonly requests: number };
  readonly startSeconds: number;
}

function manifest(n: number, upstreamPort: number, variant: { podIp: string; extraIngress: boolean }): string {
  const objects = [
    ingressClass(),
    ingress('bench', { rules: [{ host: BENCH_HOST, paths: [{ path: '/', service: 'upstream' }] }] }),
    service('upstream'),
    endpointSlice('upstream', upstreamPort, [{ ip: '127.0.0.1', pod: 'upstream-0' }]),
  ];
  for (let i = 0; i < n; i++) {
    const ns = `ns-${i % 50}`;
    const name = `app-${i}`;
    objects.push(
      ingress(name, { namespace: ns, rules: [{ host: `${name}.example.com`, paths: [{ path: '/', service: name }, { path: '/api', service: name }] }] }),
      service(name, { namespace: ns }),
      endpointSlice(name, 8080, [0, 1, 2].map((e) => ({ ip: i === 7 && e === 0 ? variant.podIp : `10.${(i >> 8) & 255}.${i & 255}.${e + 1}`, pod: `${name}-${e}` })), { namespace: ns }),
    );
  }
  if (variant.extraIngress) objects.push(ingress('app-extra', { namespace: 'ns-0', rules: [{ host: 'extra.example.com', paths: [{ path: '/', service: 'app-0' }] }] }));
  return toYaml(objects);
}

/**
 * Tables the process applied so far (its "route table applied" log lines: with workers, the primary's),
 * and whether /readyz is 200 — with workers it is not until every worker applied the newest table.
 * (Not /metrics: with 10,000 Services a scrape renders 20,000 per-backend series, and scraping it 40
 * times a second would itself be the stall this measures.)
 */
function appliedCounter(child: RautaTarget['child']): () => number {
  let count = 0;
  let rest = '';
  child.proc.stdout?.on('data', (b: Buffer) => {
    const lines = (rest + b.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.includes('"msg":"route table applied"')) count++;
  });
  return () => count;
}

async function applied(adminPort: number, tables: () => number): Promise<{ reloads: number; ready: boolean }> {
  try {
    const ready = (await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(10_000) })).status === 200;
    return { reloads: tables(), ready };
  } catch {
    return { reloads: tables(), ready: false };
  }
}

/** Requests back to back on one keep-alive connection until `stop` resolves; latencies in ms. */
async function probe(port: number, stop: Promise<void>): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  let done = false;
  void stop.then(() => {
    done = true;
  });
  const once = () => new Promise<void>((resolve) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: BENCH_HOST }, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        out.push(performance.now() - t0);
        resolve();
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      out.push(performance.now() - t0);
      resolve();
    });
    req.end();
  });
  // Bounded: at most 200,000 requests.
  for (let i = 0; i < 200_000 && !done; i++) await once();
  agent.destroy();
  return out;
}

async function rebuild(port: number, adminPort: number, tables: () => number, path: string, text: string): Promise<{ maxMs: number; appliedAfterMs: number; requests: number }> {
  const before = tables();
  let release: () => void = () => {};
  const stop = new Promise<void>((r) => {
    release = r;
  });
  const sampling = probe(port, stop);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  writeFileSync(path, text);
  let appliedAfterMs = Number.NaN;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const now = await applied(adminPort, tables);
    if (now.reloads > before && now.ready) {
      appliedAfterMs = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await new Promise((r) => setTimeout(r, 500));
  release();
  const lat = await sampling;
  return { maxMs: Math.max(...lat), appliedAfterMs, requests: lat.length };
}

export async function rebuildLatency(o: { dir: string; upstreamPort: number; workers: number; ingresses?: number; core: number | undefined }): Promise<RebuildLatency> {
  const n = o.ingresses ?? 10_000;
  const t0 = performance.now();
  const r = await startRauta({
    name: `rauta-rebuild-w${o.workers}`, dir: o.dir, upstreamPort: o.upstreamPort, core: o.core,
    env: { RAUTA_WORKERS: String(o.workers), RAUTA_LOG_LEVEL: 'info' }, manifest: manifest(n, o.upstreamPort, { podIp: '10.99.0.1', extraIngress: false }), startTimeoutMs: 120_000,
  });
  const startSeconds = (performance.now() - t0) / 1000;
  const tables = appliedCounter(r.child);
  try {
    await runLoad({ url: `http://127.0.0.1:${r.port}/`, host: BENCH_HOST, connections: 10, seconds: 1, core: undefined });
    let release: () => void = () => {};
    const stop = new Promise<void>((res) => {
      release = res;
    });
    const base = probe(r.port, stop);
    await new Promise((res) => setTimeout(res, 1500));
    release();
    const baseline = await base;
    const endpointChange = await rebuild(r.port, r.adminPort, tables, r.manifestPath, manifest(n, o.upstreamPort, { podIp: '10.99.0.2', extraIngress: false }));
    const ingressChange = await rebuild(r.port, r.adminPort, tables, r.manifestPath, manifest(n, o.upstreamPort, { podIp: '10.99.0.2', extraIngress: true }));
    return { workers: o.workers, ingresses: n, baselineP50Ms: median(baseline), baselineMaxMs: Math.max(...baseline), endpointChange, ingressChange, startSeconds };
  } finally {
    await r.child.stop();
  }
}
