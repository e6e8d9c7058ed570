import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { clockTicks } from './proc-stats.ts';
import { freePort, pinSelf } from './process.ts';
import { median } from './report.ts';
import { LOAD_CORE, TARGET_CORE } from './targets.ts';
import { type BenchNats, type OtlpReceiver, startNats, startOtlpReceiver } from './telemetry-sinks.ts';

/**
 * CPU per finished request of the telemetry hand-off, without HTTP: this process (pinned to the target
 * core, like the `rauta` target) feeds a real telemetry thread with every sink on as in the `rauta` target (NATS to
 * a private nats-server, OTLP to a local receiver, metrics, ring) a few requests per
 * event-loop turn at about --rate requests per second (or, with --work-us N, saturated: N µs of stand-in
 * proxy work per request on the same core, subtracted again from the main thread's figure), and reads each thread's CPU time from /proc. Far less
 * noisy than an end-to-end run on a shared machine, so small changes to the thread show.
 *
 *   ./node_modules/.bin/node bench/telemetry-thread.ts                     # dist/ of this checkout
 *   ./node_modules/.bin/node bench/telemetry-thread.ts /tmp/before/dist dist   # A/B, interleaved
 *
 * A build outside this checkout needs node_modules, package.json and schemas/ next to its dist/.
 */
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '24000' },
    'per-turn': { type: 'string', default: '5' },
    rate: { type: 'string', default: '8000' },
    'work-us': { type: 'string', default: '0' },
    'no-nats': { type: 'boolean', default: false },
    'no-otlp': { type: 'boolean', default: false },
  },
});

interface Build {
  readonly dist: string;
  // biome-ignore lint/suspicious/noExplicitAny: modules of another build, loaded by path
  readonly thread: any;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  readonly newRecord: any;
  readonly main: number[];
  readonly telemetry: number[];
}

/** utime+stime per thread name of this process. */
function threadTicks(): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      m.set(`${comm}:${t}`, Number(f[11]) + Number(f[12]));
    } catch {
      // the task ended
    }
  }
  return m;
}

const route = {
  ingress: { namespace: 'default', name: 'bench' }, host: 'bench.local', path: '/', pathType: 'Prefix',
  backend: { namespace: 'default', service: 'bench-upstream', servicePort: '80' },
};
const endpoint = { ip: '10.1.2.3', port: 8080, pod: 'bench-upstream-7d9f8c6b5-x2x4z', podUid: '5f0c2a8e-1b7d-4a51-9c1e-3f2b6d7e8a90', node: 'node-1', zone: 'zone-a', key: '10.1.2.3:8080', ready: true, serving: true, terminating: false, weight: 1 };

function hex(n: number, seed: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((seed * 31 + i * 7) & 15).toString(16);
  return s;
}

// biome-ignore lint/suspicious/noExplicitAny: idem
function record(b: Build, i: number): [any, any] {
  const now = Date.now();
  const rec = b.newRecord(now, performance.now());
  rec.requestId = `01JBENCH${String(i).padStart(18, '0')}`;
  rec.method = 'GET';
  rec.host = 'bench.local';
  rec.path = '/';
  rec.clientIp = '127.0.0.1';
  rec.userAgent = 'wrk';
  rec.route = route;
  rec.endpoint = endpoint;
  rec.attempts = 1;
  rec.statusCode = 200;
  rec.bytesOut = 104;
  rec.durationMs = 0.612;
  rec.upstreamDurationMs = 0.431;
  rec.traceId = hex(32, i);
  rec.spanId = hex(16, i + 1);
  const trace = {
    parentSpanId: null, parentFlags: 0, traceState: null, startEpochMs: now,
    attempts: [{ spanId: hex(16, i + 2), attempt: 1, ip: endpoint.ip, port: endpoint.port, pod: endpoint.pod, startMs: now + 0.1, endMs: now + 0.53, statusCode: 200, errorCode: null, errorMessage: null }],
  };
  return [rec, trace];
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** A fixed amount of CPU work standing in for the proxy's own per-request work (--work-us). */
let spinIterations = 0;
let sink = 0;
function spin(iterations: number): void {
  let x = sink;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345) % 2147483648;
  sink = x;
}
let spinCostUs = 0;
function calibrate(us: number): void {
  if (us <= 0) return;
  spinCostUs = us;
  const n = 1_000_000;
  spin(n);
  // CPU time of this thread, not wall time: other work on the core must not shrink the stand-in.
  const t = process.threadCpuUsage();
  spin(n);
  const used = process.threadCpuUsage(t);
  spinIterations = Math.round((us / (used.user + used.system)) * n);
}

async function round(b: Build, n: number, perTurn: number): Promise<void> {
  const hz = clockTicks();
  const before = threadTicks();
  const rate = Number(args.rate);
  const t0 = performance.now();
  for (let i = 0; i < n; ) {
    for (let k = 0; k < perTurn && i < n; k++, i++) {
      if (spinIterations > 0) spin(spinIterations);
      const [rec, trace] = record(b, i);
      b.thread.add(rec, trace);
    }
    if (spinIterations > 0) {
      // Saturated, like a proxy under load: the loop never waits (the stand-in work sets the pace).
      await turn();
      continue;
    }
    // Paced to about `rate` requests per second (the span exporter, like a collector, keeps up with that).
    const ahead = i / rate - (performance.now() - t0) / 1000;
    if (ahead > 0.001) await new Promise((r) => setTimeout(r, ahead * 1000));
    else await turn();
  }
  // Until the thread has taken everything (it acknowledges batches).
  while (b.thread.inFlight > 0 || b.thread.gathered > 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 200)); // let NATS and the span batch go out
  const after = threadTicks();
  let main = -((spinIterations > 0 ? spinCostUs : 0));
  let telemetry = 0;
  for (const [k, v] of after) {
    const us = (((v - (before.get(k) ?? 0)) / hz) * 1e6) / n;
    if (k.startsWith('MainThread')) main += us;
    else if (k.startsWith('WorkerThread')) telemetry += us;
  }
  b.main.push(main);
  b.telemetry.push(telemetry);
  process.stdout.write(`${b.dist.padEnd(30)} main ${main.toFixed(1).padStart(5)} µs/req  telemetry thread ${telemetry.toFixed(1).padStart(5)} µs/req\n`);
}

async function main(): Promise<void> {
  pinSelf(TARGET_CORE);
  const dir = mkdtempSync(join(tmpdir(), 'rauta-tt-'));
  let nats: BenchNats | undefined;
  let otlp: OtlpReceiver | undefined;
  const builds: Build[] = [];
  try {
    if (!args['no-nats']) nats = await startNats(dir, await freePort(), await freePort(), LOAD_CORE);
    if (!args['no-otlp']) otlp = await startOtlpReceiver();
    const logger = pino({ level: 'warn' });
    for (const d of positionals.length > 0 ? positionals : ['dist']) {
      const dist = isAbsolute(d) ? d : resolve(d);
      const load = (p: string) => import(pathToFileURL(join(dist, p)).href);
      const { TelemetryThread } = await load('telemetry/thread/telemetry-thread.js');
      const { newRecord } = await load('proxy/request-record.js');
      const { spanExportInit } = await load('telemetry/sinks/otlp-setup.js');
      const spans = otlp === undefined ? undefined : spanExportInit({
        endpoint: otlp.endpoint, protocol: 'http/protobuf', serviceName: 'rauta', sampler: 'parentbased_always_on', resourceAttributes: '',
        scheduleDelayMs: 5000, maxQueueSize: 2048, exportTimeoutMs: 10000,
      });
      const thread = new TelemetryThread({
        logLevel: 'warn', cluster: 'bench', node: 'node-1', includeQuery: false, ringSize: 1000, eventQueueSize: 10000, accessLog: false,
        nats: nats === undefined ? undefined : { url: nats.url, credsFile: undefined, token: undefined, bufferSize: 10000, subject: 'rauta.requests', mirror: undefined },
        spans,
      }, logger, () => {});
      builds.push({ dist: d, thread, newRecord, main: [], telemetry: [] });
    }
    calibrate(Number(args['work-us']));
    const n = Number(args.requests);
    const perTurn = Number(args['per-turn']);
    for (const b of builds) await round(b, Math.min(n, 5000), perTurn); // warm-up (JIT, NATS connected)
    for (const b of builds) {
      b.main.length = 0;
      b.telemetry.length = 0;
    }
    for (let r = 0; r < Number(args.rounds); r++) for (const b of builds) await round(b, n, perTurn);
    process.stdout.write('\nmedians:\n');
    for (const b of builds) process.stdout.write(`${b.dist.padEnd(30)} main ${median(b.main).toFixed(1).padStart(5)} µs/req  telemetry thread ${median(b.telemetry).toFixed(1).padStart(5)} µs/req\n`);
    if (nats !== undefined) process.stdout.write(`NATS messages received: ${await nats.inMsgs()}\n`);
    if (otlp !== undefined) process.stdout.write(`OTLP exports received: ${otlp.stats.requests} (${(otlp.stats.bytes / 1e6).toFixed(1)} MB)\n`);
  } finally {
    for (const b of builds) await b.thread.stop(3000);
    await nats?.child.stop();
    await otlp?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`telemetry-thread bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
