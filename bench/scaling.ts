import { join } from 'node:path';
import { runLoad } from './load.ts';
import { hasNginx, startNginxProxy } from './nginx.ts';
import { processRss } from './proc-stats.ts';
import { type Child, freePort, waitForHttp } from './process.ts';
import { BENCH_HOST, startRauta } from './rauta-target.ts';
import { median } from './report.ts';

/**
 * Workers 1 vs 2 on the whole machine: RAUTA (`RAUTA_WORKERS`) and nginx (`worker_processes`), nothing
 * pinned, the same wrk load, variants interleaved round by round. Also each RAUTA process's memory:
 * idle right after start, and peak after the load.
 */
export interface ScalingVariant {
  readonly name: string;
  readonly workers: number;
  readonly rps: number[];
  readonly p99: number[];
  errors: number;
}

export interface ProcessMemory {
  readonly pid: number;
  readonly role: string;
  readonly idleMb: number;
  readonly peakMb: number;
  /** Idle PSS: the shared node binary counted once across the pod, not once per process. */
  readonly idlePssMb: number;
}

export interface ScalingResult {
  readonly variants: readonly { name: string; workers: number; rps: number; p99: number; errors: number }[];
  /** rauta 2 workers ÷ 1 worker, and nginx's, from per-round ratios (medians). */
  readonly rautaScale: number;
  readonly nginxScale: number | undefined;
  /** rauta with 2 workers ÷ nginx with 2 workers. */
  readonly rautaVsNginx2: number | undefined;
  /** The 2-worker RAUTA pod, process by process. */
  readonly memory: readonly ProcessMemory[];
}

interface Running {
  readonly variant: ScalingVariant;
  readonly port: number;
  readonly child: Child;
}

export async function runScaling(o: { dir: string; upstreamPort: number; rounds: number; seconds: number; connections: number; log: (l: string) => void }): Promise<ScalingResult> {
  const running: Running[] = [];
  let memory: ProcessMemory[] = [];
  try {
    if (hasNginx()) {
      for (const workers of [1, 2]) {
        const port = await freePort();
        const child = startNginxProxy(join(o.dir, `nginx-w${workers}`), port, o.upstreamPort, undefined, workers);
        await waitForHttp(child, port, { host: BENCH_HOST });
        running.push({ variant: { name: `nginx ${workers}w`, workers, rps: [], p99: [], errors: 0 }, port, child });
      }
    }
    let idle: ReturnType<typeof processRss> = [];
    for (const workers of [1, 2]) {
      // Ring and metrics on (the default), no NATS/OTLP: the data plane's own scaling.
      const r = await startRauta({ name: `rauta-w${workers}`, dir: o.dir, upstreamPort: o.upstreamPort, core: undefined, env: { RAUTA_WORKERS: String(workers) } });
      running.push({ variant: { name: `rauta ${workers}w`, workers, rps: [], p99: [], errors: 0 }, port: r.port, child: r.child });
      if (workers === 2) {
        await new Promise((res) => setTimeout(res, 1000));
        idle = processRss(r.child.pid);
      }
    }
    for (const r of running) await runLoad({ url: `http://127.0.0.1:${r.port}/`, host: BENCH_HOST, connections: o.connections, seconds: 2, core: undefined });
    for (let round = 1; round <= o.rounds; round++) {
      for (const r of running) {
        const load = await runLoad({ url: `http://127.0.0.1:${r.port}/`, host: BENCH_HOST, connections: o.connections, seconds: o.seconds, core: undefined });
        r.variant.rps.push(load.rps);
        r.variant.p99.push(load.p99);
        r.variant.errors += load.errors;
        o.log(`  round ${round}: ${r.variant.name.padEnd(9)} ${load.rps.toFixed(0).padStart(7)} req/s  p99 ${load.p99.toFixed(3)} ms  errors ${load.errors}`);
      }
    }
    const pod = running.find((r) => r.variant.name === 'rauta 2w');
    if (pod !== undefined) {
      const peak = processRss(pod.child.pid);
      memory = peak.map((p, i) => ({
        pid: p.pid,
        role: i === 0 ? 'primary (control plane)' : `worker ${i}`,
        idleMb: idle.find((x) => x.pid === p.pid)?.rssMb ?? Number.NaN,
        idlePssMb: idle.find((x) => x.pid === p.pid)?.pssMb ?? Number.NaN,
        peakMb: p.peakMb,
      }));
    }
  } finally {
    for (const r of running.reverse()) await r.child.stop();
  }
  const by = (name: string) => running.find((r) => r.variant.name === name)?.variant;
  const ratio = (a: ScalingVariant | undefined, b: ScalingVariant | undefined) => (a && b ? median(a.rps.map((x, i) => x / b.rps[i])) : undefined);
  return {
    variants: running.map((r) => ({ name: r.variant.name, workers: r.variant.workers, rps: median(r.variant.rps), p99: median(r.variant.p99), errors: r.variant.errors })).reverse(),
    rautaScale: ratio(by('rauta 2w'), by('rauta 1w')) ?? Number.NaN,
    nginxScale: ratio(by('nginx 2w'), by('nginx 1w')),
    rautaVsNginx2: ratio(by('rauta 2w'), by('nginx 2w')),
    memory,
  };
}
