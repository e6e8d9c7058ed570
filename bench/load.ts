import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { hasBinary, pinned } from './process.ts';

export const WRK = '/usr/bin/wrk';
const ROOT = new URL('..', import.meta.url).pathname;

export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx/3xx responses plus socket errors (connect, read, write, timeout). */
  readonly errors: number;
}

export interface LoadSpec {
  readonly url: string;
  readonly host: string;
  readonly connections: number;
  readonly seconds: number;
  readonly core: number | undefined;
}

export type LoadTool = 'wrk' | 'autocannon';

export function loadTool(): LoadTool {
  return hasBinary(WRK) ? 'wrk' : 'autocannon';
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => { out += b; });
    p.stderr.on('data', (b: Buffer) => { err += b; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited ${code}: ${err || out}`));
    });
  });
}

/** "620.52us" / "1.23ms" / "2.01s" → milliseconds. */
export function wrkDuration(s: string): number {
  const m = s.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

export function parseWrk(out: string): LoadResult {
  const num = (re: RegExp) => {
    const m = out.match(re);
    return m ? Number(m[1]) : 0;
  };
  const pct = (p: string) => {
    const m = out.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm'));
    return m ? wrkDuration(m[1]) : Number.NaN;
  };
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: pct('50'),
    p99: pct('99'),
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + socketErrors,
  };
}

interface AutocannonJson {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** One load run, the load generator pinned to `core` (away from the target's). */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const timeoutMs = (spec.seconds + 30) * 1000;
  if (loadTool() === 'wrk') {
    const [cmd, args] = pinned(spec.core, WRK, ['-t', '1', '-c', String(spec.connections), '-d', `${spec.seconds}s`, '--latency', '-H', `Host: ${spec.host}`, spec.url]);
    return parseWrk(await run(cmd, args, timeoutMs));
  }
  const bin = join(ROOT, 'node_modules/autocannon/autocannon.js');
  const node = join(ROOT, 'node_modules/.bin/node');
  const [cmd, args] = pinned(spec.core, node, [bin, '-j', '-c', String(spec.connections), '-d', String(spec.seconds), '-H', `host=${spec.host}`, spec.url]);
  const j = JSON.parse(await run(cmd, args, timeoutMs)) as AutocannonJson;
  return { requests: j.requests.total, rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, errors: j.non2xx + j.errors + j.timeouts };
}
