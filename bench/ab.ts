import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import { clockTicks, cpuMeter, treePeakRssMb } from './proc-stats.ts';
import { freePort, pinSelf } from './process.ts';
import { BENCH_HOST, type RautaTarget, startRauta } from './rauta-target.ts';
import { median } from './report.ts';
import { LOAD_CORE, TARGET_CORE, startUpstream } from './targets.ts';
import { type BenchNats, type OtlpReceiver, startNats, startOtlpReceiver } from './telemetry-sinks.ts';

/**
 * Before/after for a hot-path change: several RAUTA variants side by side, interleaved round by round,
 * CPU µs per request and req/s (medians) and peak RSS. A variant is `CLI[|NODE FLAGS[|ENV=V,…]]`; in an
 * env value, NATS and OTLP are replaced by a private nats-server and a local OTLP receiver.
 *
 *   npm run build && mkdir /tmp/before && cp -r dist schemas package.json /tmp/before/ && ln -s "$PWD/node_modules" /tmp/before/
 *   … change … && npm run build
 *   ./node_modules/.bin/node bench/ab.ts /tmp/before/dist/cli.js dist/cli.js
 *   ./node_modules/.bin/node bench/ab.ts 'dist/cli.js' 'dist/cli.js|--max-semi-space-size=4'
 *   ./node_modules/.bin/node bench/ab.ts 'dist/cli.js||RAUTA_RING_SIZE=0' 'dist/cli.js||OTEL_EXPORTER_OTLP_ENDPOINT=OTLP'
 *
 * A build outside this checkout needs node_modules, package.json and schemas/ beside its dist/ (link or
 * copy them): without schemas/ its telemetry thread stops at start and every event is dropped, which
 * makes that variant look cheap. The NATS and OTLP receipts printed at the end show what arrived.
 */
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '50' },
  },
});

interface Variant {
  readonly spec: string;
  readonly target: RautaTarget;
  readonly us: number[];
  readonly rps: number[];
}

async function main(): Promise<void> {
  if (positionals.length === 0) throw new Error('usage: node bench/ab.ts VARIANT [VARIANT…] (see the comment at the top)');
  pinSelf(LOAD_CORE);
  const dir = mkdtempSync(join(tmpdir(), 'rauta-ab-'));
  const upstream = await startUpstream(dir, LOAD_CORE);
  let nats: BenchNats | undefined;
  let otlp: OtlpReceiver | undefined;
  const variants: Variant[] = [];
  try {
    for (const [i, spec] of positionals.entries()) {
      const [cli, flags, envs] = spec.split('|');
      const env: Record<string, string> = {};
      for (const kv of (envs ?? '').split(',').filter(Boolean)) {
        const eq = kv.indexOf('=');
        let value = kv.slice(eq + 1);
        if (value === 'NATS') value = (nats ??= await startNats(dir, await freePort(), await freePort(), LOAD_CORE)).url;
        if (value === 'OTLP') value = (otlp ??= await startOtlpReceiver()).endpoint;
        env[kv.slice(0, eq)] = value;
      }
      const target = await startRauta({
        name: `variant-${i}`, dir, upstreamPort: upstream.port, core: TARGET_CORE, env,
        cli: isAbsolute(cli) ? cli : join(process.cwd(), cli), nodeFlags: flags ? flags.split(' ').filter(Boolean) : [],
      });
      variants.push({ spec, target, us: [], rps: [] });
    }
    const url = (v: Variant) => `http://127.0.0.1:${v.target.port}/`;
    const connections = Number(args.connections);
    for (const v of variants) await runLoad({ url: url(v), host: BENCH_HOST, connections, seconds: 2, core: LOAD_CORE });
    const ticks = clockTicks();
    for (let r = 0; r < Number(args.rounds); r++) {
      for (const v of variants) {
        const meter = cpuMeter(v.target.child.pid, ticks);
        const load = await runLoad({ url: url(v), host: BENCH_HOST, connections, seconds: Number(args.seconds), core: LOAD_CORE });
        const cpu = meter();
        const us = ((cpu / 100) * 1e6) / load.rps;
        v.us.push(us);
        v.rps.push(load.rps);
        process.stdout.write(`${v.spec.padEnd(40)} ${load.rps.toFixed(0).padStart(7)} req/s  cpu ${cpu.toFixed(0).padStart(3)}%  ${us.toFixed(1)} µs/req  errors ${load.errors}\n`);
      }
    }
    process.stdout.write('\nmedians:\n');
    for (const v of variants) {
      process.stdout.write(`${v.spec.padEnd(40)} ${median(v.rps).toFixed(0).padStart(7)} req/s  ${median(v.us).toFixed(1)} µs/req  peak RSS ${treePeakRssMb(v.target.child.pid).toFixed(1)} MB\n`);
    }
    // Shows that variants with NATS / OTLP really sent (a wrong variable name is silently ignored by RAUTA).
    if (nats !== undefined) process.stdout.write(`NATS messages received: ${await nats.inMsgs()}\n`);
    if (otlp !== undefined) process.stdout.write(`OTLP exports received: ${otlp.stats.requests} (${(otlp.stats.bytes / 1e6).toFixed(1)} MB)\n`);
  } finally {
    for (const v of variants) await v.target.child.stop();
    await nats?.child.stop();
    await otlp?.close();
    await upstream.child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`ab failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
