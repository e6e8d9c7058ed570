import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTool, runLoad } from './load.ts';
import { hasNginx } from './nginx.ts';
import { clockTicks, cpuMeter, machineBusyMeter, treePeakRssMb } from './proc-stats.ts';
import { pinSelf } from './process.ts';
import { formatSummary, summarizeProfile } from './profile-summary.ts';
import { BENCH_HOST } from './rauta-target.ts';
import { rebuildLatency, type RebuildLatency } from './rebuild-latency.ts';
import { type RoundSample, checkLines, closingChecks, contendedRuns, summarize, table } from './report.ts';
import { runScaling, type ScalingResult } from './scaling.ts';
import { soak } from './soak.ts';
import { runSubBenches } from './sub-benches.ts';
import { LOAD_CORE, TARGET_CORE, TARGET_NAMES, type TargetName, TargetSet, startUpstream } from './targets.ts';

/**
 * `npm run bench`: RAUTA side by side with nginx and a plain Node proxy, on loopback, in one run.
 * See bench/README.md for what each target is and how to read the table.
 */
// `--soak 600` is `--soak --soak-seconds 600`.
const argv = process.argv.slice(2);
const soakAt = argv.indexOf('--soak');
if (soakAt !== -1 && /^\d+$/.test(argv[soakAt + 1] ?? '')) argv.splice(soakAt + 1, 1, '--soak-seconds', argv[soakAt + 1]);

const { values: args } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '50' },
    'latency-connections': { type: 'string', default: '10' },
    'latency-seconds': { type: 'string', default: '3' },
    'no-scaling': { type: 'boolean', default: false },
    'scaling-rounds': { type: 'string', default: '2' },
    'scaling-seconds': { type: 'string', default: '6' },
    'no-rebuild': { type: 'boolean', default: false },
    'rebuild-workers': { type: 'string', default: '1,2' },
    'rebuild-ingresses': { type: 'string', default: '10000' },
    'all-sub': { type: 'boolean', default: false },
    targets: { type: 'string', default: TARGET_NAMES.join(',') },
    quick: { type: 'boolean', default: false },
    'no-sub': { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    'soak-seconds': { type: 'string', default: '120' },
    profile: { type: 'boolean', default: false },
    'profile-target': { type: 'string', default: 'rauta-bare' },
    'rauta-node-flags': { type: 'string', default: '' },
  },
});

const quick = args.quick;
const rounds = quick ? 1 : Number(args.rounds);
const seconds = quick ? 3 : Number(args.seconds);
const connections = Number(args.connections);
const latConns = Number(args['latency-connections']);
const latSeconds = quick ? 2 : Number(args['latency-seconds']);
const wanted = args.targets.split(',').map((s) => s.trim()) as TargetName[];
for (const w of wanted) if (!TARGET_NAMES.includes(w)) throw new Error(`unknown target ${w}; known: ${TARGET_NAMES.join(', ')}`);

const log = (line = '') => process.stdout.write(`${line}\n`);
const ROOT = new URL('..', import.meta.url).pathname;

function version(cmd: string, argv: string[]): string {
  try {
    return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0];
  } catch (err) {
    const e = err as { stderr?: string };
    return (e.stderr ?? '').trim().split('\n')[0] || 'unknown';
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'rauta-bench-'));
  // The bench process, the load generator, the upstream and the telemetry receivers share one core; each
  // target gets the other to itself.
  const pinnedSelf = cpus().length >= 2 && pinSelf(LOAD_CORE);
  const loadCore = cpus().length >= 2 ? LOAD_CORE : undefined;
  log(`RAUTA bench — ${new Date().toISOString()}`);
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; node ${process.version}; load: ${loadTool()}${loadTool() === 'autocannon' ? ' (fallback: wrk not installed)' : ''}; cores: load+upstream=${LOAD_CORE}${pinnedSelf ? '' : ' (taskset unavailable: not pinned)'}, target=${TARGET_CORE}`);

  const loadBefore = loadavg()[0];
  // Other work on the machine skews every figure; say how busy it was (CPU µs/req is the steadier column).
  log(`load average at start: ${loadBefore.toFixed(2)} on ${cpus().length} cores${loadBefore > cpus().length * 0.5 ? ' — the machine is busy with other work: req/s will be low and noisy' : ''}`);
  const upstream = await startUpstream(dir, loadCore);
  if (!hasNginx()) log('upstream: nginx is NOT installed — using the tiny Node fallback server (apt-get install nginx for the real comparison)');
  const set = new TargetSet();
  const cleanup = async () => {
    await set.stop();
    await upstream.child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });

  try {
    if (args.soak) return await runSoak(set, dir, upstream, loadCore);
    if (args.profile) return await runProfile(set, dir, upstream, loadCore);

    const targets = wanted.filter((w) => hasNginx() || w !== 'nginx');
    if (targets.length < wanted.length) log('nginx target skipped: nginx not installed (apt-get install nginx)');
    const rautaNodeFlags = args['rauta-node-flags'].split(' ').filter(Boolean);
    if (rautaNodeFlags.length > 0) log(`rauta targets run with node ${rautaNodeFlags.join(' ')}`);
    await set.start(dir, upstream, targets, { rautaNodeFlags });
    for (const t of set.targets) log(`  ${t.name.padEnd(10)} :${t.port}  ${t.note}`);

    const ticks = clockTicks();
    log(`warm-up: 2 s per target at ${connections} connections`);
    for (const t of set.targets) await runLoad({ url: `http://127.0.0.1:${t.port}/`, host: BENCH_HOST, connections, seconds: 2, core: loadCore });

    const samples = new Map<TargetName, RoundSample[]>(set.targets.map((t) => [t.name, []]));
    for (let r = 1; r <= rounds; r++) {
      log(`round ${r}/${rounds}: ${set.targets.map((t) => t.name).join(' → ')}`);
      for (const t of set.targets) {
        const url = `http://127.0.0.1:${t.port}/`;
        const meter = cpuMeter(t.pid, ticks);
        const busy = machineBusyMeter();
        const ours = cpuMeter(process.pid, ticks); // the bench's whole tree: target, upstream, wrk, sinks
        const load = await runLoad({ url, host: BENCH_HOST, connections, seconds, core: loadCore });
        const cpuPercent = meter();
        const machineBusy = busy();
        const foreignCpu = Math.max(0, machineBusy - ours());
        const cpuUsPerRequest = load.rps > 0 ? ((cpuPercent / 100) * 1e6) / load.rps : Number.NaN;
        const lat = await runLoad({ url, host: BENCH_HOST, connections: latConns, seconds: latSeconds, core: loadCore });
        samples.get(t.name)!.push({ rps: load.rps, errors: load.errors, cpuPercent, cpuUsPerRequest, machineBusy, foreignCpu, p50: lat.p50, p99: lat.p99, latencyErrors: lat.errors });
        log(`  ${t.name.padEnd(10)} ${load.rps.toFixed(0).padStart(7)} req/s  cpu ${cpuPercent.toFixed(0).padStart(3)}% (${cpuUsPerRequest.toFixed(1)} µs/req; machine ${machineBusy.toFixed(0)}%/${cpus().length * 100}%, other work ${foreignCpu.toFixed(0)}%)  p50 ${lat.p50.toFixed(3)} ms  p99 ${lat.p99.toFixed(3)} ms  errors ${load.errors + lat.errors}`);
      }
    }
    const rss = new Map(set.targets.map((t) => [t.name, treePeakRssMb(t.pid)]));
    const notes = new Map(set.targets.map((t) => [t.name, t.note]));
    const rows = summarize(samples, notes, rss);
    const telemetry = await set.telemetryReceived();
    await set.stop();

    log();
    log(`results: median of ${rounds} round(s); ${connections} connections × ${seconds} s for req/s and CPU; ${latConns} connections × ${latSeconds} s for latency`);
    log(table(rows, latConns));
    log();
    for (const r of rows) log(`  ${r.name}: ${r.note}`);
    if (telemetry.natsMessages !== undefined || telemetry.otlpRequests !== undefined) {
      log(`  telemetry received: NATS messages ${telemetry.natsMessages ?? '-'}, OTLP exports ${telemetry.otlpRequests ?? '-'} (${((telemetry.otlpBytes ?? 0) / 1e6).toFixed(1)} MB)`);
    }
    const sat = contendedRuns(rows);
    const contended = sat.contended > sat.total / 2;
    if (sat.contended > 0) {
      log(`  WARNING: processes the bench did not start used > 25% of a core during ${sat.contended} of ${sat.total} load runs (median ${sat.medianForeignCpu.toFixed(0)}%):`);
      log('  they competed for the target\'s core (see each target\'s CPU%), so req/s and the ratios measure that contention.');
    }

    let scaling: ScalingResult | undefined;
    if (!args['no-scaling'] && !quick) {
      log();
      log(`workers 1 vs 2 (nothing pinned, ${connections} connections × ${args['scaling-seconds']} s, ${args['scaling-rounds']} rounds; rauta with ring + metrics, no NATS/OTLP):`);
      scaling = await runScaling({ dir, upstreamPort: upstream.port, rounds: Number(args['scaling-rounds']), seconds: Number(args['scaling-seconds']), connections, log });
      for (const v of scaling.variants) log(`  ${v.name.padEnd(9)} ${v.rps.toFixed(0).padStart(7)} req/s  p99 ${v.p99.toFixed(3)} ms  errors ${v.errors}`);
      log('  memory of the 2-worker pod (RSS MB: idle after start, peak after load):');
      for (const m of scaling.memory) log(`    ${m.role.padEnd(24)} idle ${m.idleMb.toFixed(1).padStart(6)}  peak ${m.peakMb.toFixed(1).padStart(6)}  idle PSS ${m.idlePssMb.toFixed(1).padStart(6)}`);
      log(`    pod idle: RSS ${scaling.memory.reduce((a, m) => a + m.idleMb, 0).toFixed(1)} MB (shared pages once per process), PSS ${scaling.memory.reduce((a, m) => a + m.idlePssMb, 0).toFixed(1)} MB (shared pages once)`);
    }

    const rebuilds: RebuildLatency[] = [];
    if (!args['no-rebuild'] && !quick) {
      log();
      log(`worst request latency during a ${args['rebuild-ingresses']}-Ingress rebuild (one keep-alive client, requests back to back):`);
      for (const w of args['rebuild-workers'].split(',').map(Number)) {
        const r = await rebuildLatency({ dir, upstreamPort: upstream.port, workers: w, ingresses: Number(args['rebuild-ingresses']), core: undefined });
        rebuilds.push(r);
        log(`  workers ${w}: start ${r.startSeconds.toFixed(0)} s; baseline p50 ${r.baselineP50Ms.toFixed(2)} ms, max ${r.baselineMaxMs.toFixed(1)} ms; EndpointSlice change: max ${r.endpointChange.maxMs.toFixed(1)} ms (applied after ${r.endpointChange.appliedAfterMs.toFixed(0)} ms, ${r.endpointChange.requests} requests); Ingress added: max ${r.ingressChange.maxMs.toFixed(1)} ms (applied after ${r.ingressChange.appliedAfterMs.toFixed(0)} ms, ${r.ingressChange.requests} requests)`);
      }
    }

    const cs = closingChecks(rows, { scaling, rebuild: rebuilds });
    log();
    log('summary (goals of the performance round; ratios from this run):');
    log(checkLines(cs, contended));

    let subs: Awaited<ReturnType<typeof runSubBenches>> = [];
    if (!args['no-sub'] && !quick) {
      log();
      log('micro-benchmarks:');
      subs = await runSubBenches(cpus().length >= 2 ? TARGET_CORE : undefined, 60_000, (l) => log(`  ${l}`), args['all-sub']);
    }

    const result = {
      timestamp: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, nginx: hasNginx() ? version('/usr/sbin/nginx', ['-v']) : null, load: loadTool() },
      loadAverage: { start: loadBefore, end: loadavg()[0] },
      settings: { rautaNodeFlags: args['rauta-node-flags'], rounds, seconds, connections, latencyConnections: latConns, latencySeconds: latSeconds, loadCore, targetCore: TARGET_CORE, upstream: upstream.kind },
      targets: rows,
      goals: cs,
      scaling,
      rebuildLatency: rebuilds,
      contendedRuns: sat,
      telemetryReceived: telemetry,
      microBenchmarks: subs,
      durationSeconds: (performance.now() - started) / 1000,
    };
    const outDir = join(ROOT, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${result.timestamp.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log();
    log(`wrote ${file} (${result.durationSeconds.toFixed(0)} s)`);
  } finally {
    await cleanup();
  }
}

async function runSoak(set: TargetSet, dir: string, upstream: Awaited<ReturnType<typeof startUpstream>>, loadCore: number | undefined): Promise<void> {
  const name = (wanted.length === 1 ? wanted[0] : 'rauta') as TargetName;
  await set.start(dir, upstream, [name]);
  const t = set.targets[0];
  const secs = Number(args['soak-seconds']);
  log(`soak: ${name} (${t.note}) at ${connections} connections for ${secs} s`);
  const r = await soak({ pid: t.pid, url: `http://127.0.0.1:${t.port}/`, host: BENCH_HOST, connections, seconds: secs, loadCore });
  log(`  ${r.rps.toFixed(0)} req/s, errors ${r.errors}`);
  log(`  RSS ${secs >= 180 ? "second" : "first"} minute: mean ${r.firstMinute.meanMb.toFixed(1)} MB, max ${r.firstMinute.maxMb.toFixed(1)} MB`);
  log(`  RSS last minute:  mean ${r.lastMinute.meanMb.toFixed(1)} MB, max ${r.lastMinute.maxMb.toFixed(1)} MB`);
  log(`  growth (last ÷ first mean − 1): ${(100 * r.growth).toFixed(1)}%; peak RSS ${r.peakRssMb.toFixed(1)} MB`);
  const outDir = join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ target: name, note: t.note, connections, ...r }, null, 2)}\n`);
  log(`wrote ${file}`);
}

/** `--profile`: one RAUTA target under load with --cpu-prof, then the top self-time functions. */
async function runProfile(set: TargetSet, dir: string, upstream: Awaited<ReturnType<typeof startUpstream>>, loadCore: number | undefined): Promise<void> {
  const name = args['profile-target'] as TargetName;
  const profDir = join(ROOT, 'bench-results', 'profiles');
  mkdirSync(profDir, { recursive: true });
  const before = new Set(readdirSync(profDir));
  await set.start(dir, upstream, [name], { rautaNodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
  const t = set.targets[0];
  log(`profile: ${name} (${t.note}) at ${connections} connections for ${seconds} s`);
  const load = await runLoad({ url: `http://127.0.0.1:${t.port}/`, host: BENCH_HOST, connections, seconds, core: loadCore });
  log(`  ${load.rps.toFixed(0)} req/s under the profiler`);
  await set.stop(); // the profile is written when the process exits
  const fresh = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (fresh.length === 0) throw new Error(`no .cpuprofile appeared in ${profDir}`);
  const file = join(profDir, fresh[0]);
  log(`  ${file}`);
  log(formatSummary(summarizeProfile(file, 30)));
}

void main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
