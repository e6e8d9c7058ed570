import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pinned } from './process.ts';
import { NODE } from './rauta-target.ts';

/**
 * The micro-benchmarks beside the load test, each its own script (some written on other branches):
 * route-table rebuild, Maglev, the telemetry sinks, route lookup. Each runs in its own process on the
 * target core after the load test, with a time bound; a missing script is reported, not skipped silently.
 */
export const SUB_BENCHES = [
  { name: 'lookup', file: 'lookup.ts', what: 'route lookup, 10 vs 10,000 Ingresses' },
  { name: 'maglev', file: 'maglev.ts', what: 'Maglev table build and lookup' },
  // Long: only with --all-sub (the 6-minute default leaves them out; the main table and the rebuild
  // latency phase measure the same things end to end).
  { name: 'rebuild', file: 'rebuild.ts', what: 'route-table rebuild time and memory, 1,000 / 10,000 Ingresses', long: true },
  // Starts RAUTA 8 times (in-process and as a child, sinks off and on): more than the default bound.
  { name: 'telemetry', file: 'telemetry.ts', what: 'events/s the NATS sink sustains', timeoutMs: 120_000, long: true },
] as const;

export interface SubBenchResult {
  readonly name: string;
  readonly what: string;
  readonly status: 'ok' | 'missing' | 'failed' | 'timeout';
  /** The script's own output (its last lines). */
  readonly output: string;
  readonly seconds: number;
}

const BENCH_DIR = new URL('.', import.meta.url).pathname;

function runOne(file: string, core: number | undefined, timeoutMs: number): Promise<{ code: number | null; out: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const [cmd, args] = pinned(core, NODE, [join(BENCH_DIR, file)]);
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b; });
    p.stderr.on('data', (b: Buffer) => { out += b; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

export async function runSubBenches(core: number | undefined, timeoutMs: number, log: (line: string) => void, all = false): Promise<SubBenchResult[]> {
  const results: SubBenchResult[] = [];
  for (const b of SUB_BENCHES) {
    if ('long' in b && !all) continue;
    if (!existsSync(join(BENCH_DIR, b.file))) {
      log(`${b.name}: bench/${b.file} is missing (${b.what}) — not measured in this run`);
      results.push({ name: b.name, what: b.what, status: 'missing', output: '', seconds: 0 });
      continue;
    }
    const t0 = performance.now();
    const r = await runOne(b.file, core, 'timeoutMs' in b ? b.timeoutMs : timeoutMs);
    const seconds = (performance.now() - t0) / 1000;
    const output = r.out.trim().split('\n').slice(-30).join('\n');
    const status = r.timedOut ? 'timeout' : r.code === 0 ? 'ok' : 'failed';
    log(`${b.name} (${b.what}) — ${status}, ${seconds.toFixed(1)} s`);
    for (const line of output.split('\n')) if (line !== '') log(`  ${line}`);
    results.push({ name: b.name, what: b.what, status, output, seconds });
  }
  return results;
}
