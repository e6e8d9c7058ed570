import type { TargetName } from './targets.ts';

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One target's measurements in one round. */
export interface RoundSample {
  readonly rps: number;
  readonly errors: number;
  readonly cpuPercent: number;
  /** Target CPU time per request, µs: robust when other work shares the machine. */
  readonly cpuUsPerRequest: number;
  /** Whole-machine busy % during the run (200 = both cores), target and load generator included. */
  readonly machineBusy: number;
  /** Busy % of processes the bench did not start (other work on the machine) during the run. */
  readonly foreignCpu: number;
  readonly p50: number;
  readonly p99: number;
  readonly latencyErrors: number;
}

export interface TargetSummary {
  readonly name: TargetName;
  readonly note: string;
  readonly rounds: readonly RoundSample[];
  readonly rps: number;
  /** Per round target/nginx, then the median; undefined without an nginx target. */
  readonly vsNginx: number | undefined;
  readonly vsNodePeer: number | undefined;
  readonly p50: number;
  readonly p99: number;
  readonly cpuPercent: number;
  readonly cpuUsPerRequest: number;
  /** Requests per second one full core would carry at this CPU cost (1e6 ÷ µs per request). */
  readonly rpsPerCore: number;
  readonly peakRssMb: number;
  readonly errors: number;
}

function ratio(samples: ReadonlyMap<TargetName, readonly RoundSample[]>, name: TargetName, anchor: TargetName): number | undefined {
  const a = samples.get(anchor);
  const t = samples.get(name);
  if (!a || !t) return undefined;
  return median(t.map((s, i) => s.rps / a[i].rps));
}

export function summarize(samples: ReadonlyMap<TargetName, readonly RoundSample[]>, notes: ReadonlyMap<TargetName, string>, rss: ReadonlyMap<TargetName, number>): TargetSummary[] {
  const out: TargetSummary[] = [];
  for (const [name, rounds] of samples) {
    out.push({
      name,
      note: notes.get(name) ?? '',
      rounds,
      rps: median(rounds.map((r) => r.rps)),
      vsNginx: ratio(samples, name, 'nginx'),
      vsNodePeer: ratio(samples, name, 'node-peer'),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      cpuPercent: median(rounds.map((r) => r.cpuPercent)),
      cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
      rpsPerCore: 1e6 / median(rounds.map((r) => r.cpuUsPerRequest)),
      peakRssMb: rss.get(name) ?? Number.NaN,
      errors: rounds.reduce((a, r) => a + r.errors + r.latencyErrors, 0),
    });
  }
  return out;
}

export interface Check {
  readonly goal: string;
  readonly value: number | undefined;
  readonly limit: number;
  readonly pass: boolean | undefined;
}

const f = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));

export function table(rows: readonly TargetSummary[], latencyConnections: number): string {
  const head = ['target', 'req/s', '÷nginx', '÷node-peer', `p50 ms@${latencyConnections}`, `p99 ms@${latencyConnections}`, 'CPU%', 'CPU µs/req', 'req/s per core', 'peak RSS MB', 'errors'];
  const body = rows.map((r) => [r.name, f(r.rps), f(r.vsNginx, 2), f(r.vsNodePeer, 2), f(r.p50, 3), f(r.p99, 3), f(r.cpuPercent), f(r.cpuUsPerRequest, 1), f(r.rpsPerCore), f(r.peakRssMb, 1), String(r.errors)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), sep, ...body.map(line)].join('\n');
}

/**
 * Runs during which processes the bench did not start used more than a quarter of a core: the target
 * then competes for its core and req/s measures that contention, not the target.
 */
export function contendedRuns(rows: readonly TargetSummary[]): { contended: number; total: number; medianForeignCpu: number } {
  let contended = 0;
  const foreign: number[] = [];
  for (const r of rows) {
    for (const s of r.rounds) {
      foreign.push(s.foreignCpu);
      if (s.foreignCpu > 25) contended++;
    }
  }
  return { contended, total: foreign.length, medianForeignCpu: median(foreign) };
}

export function checkLines(cs: readonly Check[], contended = false): string {
  const tag = contended ? '  (other work competed for the cores: not a valid measurement)' : '';
  const verdict = (c: Check) => (c.limit === 0 ? '      ' : c.pass === undefined ? '  n/a ' : c.pass ? '  PASS' : '  MISS');
  return cs.map((c) => `${verdict(c)}  ${c.goal}: ${f(c.value, 2)}${tag}`).join('\n');
}

/** What the closing summary is computed from, besides the main table. */
export interface SummaryInputs {
  readonly scaling?: {
    readonly rautaScale: number;
    readonly nginxScale: number | undefined;
    readonly rautaVsNginx2: number | undefined;
    readonly memory: readonly { readonly role: string; readonly idleMb: number; readonly peakMb: number }[];
  };
  readonly rebuild?: readonly { readonly workers: number; readonly ingresses: number; readonly baselineMaxMs: number; readonly endpointChange: { readonly maxMs: number }; readonly ingressChange: { readonly maxMs: number } }[];
  readonly soakGrowth?: number;
}

/**
 * The closing summary: every goal as a ratio (or a figure) against its limit, PASS/MISS. req/s per core
 * (1e6 ÷ CPU µs per request) is the per-core figure; it holds when the machine is shared.
 */
export function closingChecks(rows: readonly TargetSummary[], s: SummaryInputs): Check[] {
  const by = new Map(rows.map((r) => [r.name, r]));
  const rauta = by.get('rauta');
  const bare = by.get('rauta-bare');
  const nginx = by.get('nginx');
  const peer = by.get('node-peer');
  const mk = (goal: string, value: number | undefined, limit: number, atLeast: boolean): Check => ({
    goal, value, limit, pass: value === undefined || Number.isNaN(value) ? undefined : atLeast ? value >= limit : value <= limit,
  });
  const workers = s.scaling?.memory.filter((m) => m.role.startsWith('worker')) ?? [];
  const idlePod = s.scaling?.memory.reduce((a, m) => a + m.idleMb, 0);
  const worstRebuild = (w: number) => {
    const r = s.rebuild?.find((x) => x.workers === w);
    return r === undefined ? undefined : Math.max(r.endpointChange.maxMs, r.ingressChange.maxMs);
  };
  const out = [
    mk('rauta req/s per core ÷ node-peer ≥ 2', rauta && peer ? rauta.rpsPerCore / peer.rpsPerCore : undefined, 2, true),
    mk('rauta ÷ rauta-bare per core ≥ 0.9 (telemetry ≤ 10% CPU)', rauta && bare ? bare.cpuUsPerRequest / rauta.cpuUsPerRequest : undefined, 0.9, true),
    mk('rauta ÷ rauta-bare req/s (same round) ≥ 0.9', rauta && bare ? median(rauta.rounds.map((x, i) => x.rps / bare.rounds[i].rps)) : undefined, 0.9, true),
    mk('rauta 2 workers ÷ 1 worker req/s ≥ 1.4', s.scaling?.rautaScale, 1.4, true),
    mk('  (nginx 2 ÷ 1 workers, same load)', s.scaling?.nginxScale, 0, true),
    mk('  (rauta 2 workers ÷ nginx 2 workers)', s.scaling?.rautaVsNginx2, 0, true),
    mk('rauta p99 @10 conns ÷ nginx p99 ≤ 2', rauta && nginx ? rauta.p99 / nginx.p99 : undefined, 2, false),
    mk('peak RSS per worker under load ≤ 120 MB (largest worker)', workers.length > 0 ? Math.max(...workers.map((m) => m.peakMb)) : undefined, 120, false),
    mk('idle RSS of the pod (primary + 2 workers) ≤ 200 MB', idlePod, 200, false),
    mk(`worst latency during a ${(s.rebuild?.[0]?.ingresses ?? 10_000).toLocaleString('en')}-Ingress rebuild, 2 workers ≤ 20 ms`, worstRebuild(2), 20, false),
    mk(`worst latency during a ${(s.rebuild?.[0]?.ingresses ?? 10_000).toLocaleString('en')}-Ingress rebuild, 1 process ≤ 20 ms`, worstRebuild(1), 20, false),
  ];
  if (s.soakGrowth !== undefined) out.push(mk('soak: last minute ÷ second minute − 1 ≤ 5%', 100 * s.soakGrowth, 5, false));
  return out;
}
