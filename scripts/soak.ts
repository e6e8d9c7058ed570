#!/usr/bin/env node
/**
 * Fault soak (`npm run soak -- --minutes 30`): the built RAUTA under moderate, bounded load on loopback
 * while everything around it misbehaves, on a one-minute cycle:
 *
 *   every 3 s   the manifest file is rewritten (atomic rename, in place, half-written then finished,
 *               or for one interval not valid YAML at all) with a churning extra Ingress
 *   0:10-0:25   one of the two pods of the "flaky" Service is killed (SIGKILL), then restarted
 *   0:35-0:50   the nats-server is killed (SIGKILL), then restarted on the same port
 *   always      the OTLP collector accepts span exports and never answers; one live-feed client reads,
 *               one never does
 *
 * Reports requests, failures, events published against requests, and RAUTA's RSS every minute. A
 * failure is expected only for a request to the flaky Service that was in flight when its pod was
 * killed; every other failure is counted as unexpected and makes the run exit 1.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type IncomingMessage, request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type NatsConnection, connect as natsConnect } from 'nats';
import { treeRssMb } from '../bench/proc-stats.ts';
import { freePort, startChild, waitForHttp } from '../bench/process.ts';
import { ECHO, NATS_BIN, NODE, type Pod, WRITE_MODES, kill, manifest, rewrite, sleep, startHangingCollector, startNats, startPod } from './soak-fixtures.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli.js');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rps: { type: 'string', default: '150' },
    json: { type: 'string' },
  },
});
const MINUTES = Number(args.minutes);
const RPS = Number(args.rps);
if (!(MINUTES > 0) || !(RPS > 0 && RPS <= 2000)) {
  process.stderr.write('usage: npm run soak -- [--minutes 30] [--rps 150] [--json out.json]\n');
  process.exit(2);
}
if (!existsSync(CLI) || !existsSync(ECHO)) {
  process.stderr.write('dist/ is missing: run `npm run build` first (npm run soak does)\n');
  process.exit(2);
}
if (NATS_BIN === undefined) {
  process.stderr.write('nats-server is not installed (apt-get install nats-server)\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'rauta-soak-'));
const t0 = Date.now();
const elapsed = () => (Date.now() - t0) / 1000;
const log = (msg: string): void => void process.stdout.write(`[${new Date().toISOString().slice(11, 19)} +${elapsed().toFixed(0).padStart(4)}s] ${msg}\n`);

// ── Load ────────────────────────────────────────────────────────────────────────────────────────────
interface Outcome {
  readonly host: string;
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly error?: string;
  /** The start of a failed response's body (RAUTA's error code is in it). */
  readonly body?: string;
}

function once(port: number, agent: Agent, host: string, path: string): Promise<Outcome> {
  const start = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { host }, timeout: 30_000 }, (res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        if (res.statusCode !== 200 && body.length < 200) body += c.toString('utf8', 0, 200);
      });
      res.on('end', () => resolve({ host, start, end: Date.now(), status: res.statusCode ?? 0, body: body === '' ? undefined : body.slice(0, 200) }));
      res.on('error', (err) => resolve({ host, start, end: Date.now(), status: 0, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout (30 s)')));
    req.on('error', (err) => resolve({ host, start, end: Date.now(), status: 0, error: err.message }));
    req.end();
  });
}

/** Failures by host, status and RAUTA error code, with when they happened (seconds into the run). */
function groupFailures(list: readonly Outcome[], start: number): { kind: string; count: number; seconds: number[] }[] {
  const groups = new Map<string, { kind: string; count: number; seconds: number[] }>();
  for (const f of list) {
    const code = /RAUTA_ERR_[A-Z_]+/.exec(f.body ?? '')?.[0] ?? f.error ?? '';
    const kind = `${f.host} ${f.status} ${code}`;
    let g = groups.get(kind);
    if (g === undefined) groups.set(kind, (g = { kind, count: 0, seconds: [] }));
    g.count++;
    const s = Math.round((f.start - start) / 1000);
    if (!g.seconds.includes(s) && g.seconds.length < 30) g.seconds.push(s);
  }
  return [...groups.values()];
}

// ── Metrics ─────────────────────────────────────────────────────────────────────────────────────────
async function scrape(adminPort: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function sum(m: Map<string, number>, prefix: string): number {
  let n = 0;
  for (const [k, v] of m) if (k === prefix || k.startsWith(`${prefix}{`)) n += v;
  return n;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

// ── Run ─────────────────────────────────────────────────────────────────────────────────────────────
async function main(): Promise<number> {
  const pods: Pod[] = [
    { name: 'stable-0', service: 'stable', ip: '127.0.0.11', port: await freePort() },
    { name: 'stable-1', service: 'stable', ip: '127.0.0.12', port: await freePort() },
    { name: 'flaky-0', service: 'flaky', ip: '127.0.0.21', port: await freePort() },
    { name: 'flaky-1', service: 'flaky', ip: '127.0.0.22', port: await freePort() },
  ];
  const victim = pods[2];
  const natsPort = await freePort();
  const collector = await startHangingCollector();
  const manifestPath = join(dir, 'manifests.yaml');
  let generation = 0;
  writeFileSync(manifestPath, manifest(pods, generation));
  let natsProc: ChildProcess | undefined = await startNats(natsPort);
  for (const p of pods) await startPod(p);

  const httpPort = await freePort();
  const adminPort = await freePort();
  const rauta = startChild('rauta', NODE, [CLI], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RAUTA_CONFIG: manifestPath,
      RAUTA_HTTP_PORT: String(httpPort),
      RAUTA_HTTPS_PORT: '0',
      RAUTA_ADMIN_PORT: String(adminPort),
      RAUTA_BIND_ADDRESS: '127.0.0.1',
      RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1',
      RAUTA_LOG_LEVEL: 'warn',
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
    },
  });
  let rautaExit: string | undefined;
  rauta.proc.once('exit', (code, signal) => {
    rautaExit = `code ${code} signal ${signal}`;
  });
  // RAUTA's warnings and errors by message (a worker that died and was replaced shows here too).
  const logCounts = new Map<string, number>();
  let logRest = '';
  const countLog = (b: Buffer) => {
    const lines = (logRest + b.toString()).split('\n');
    logRest = lines.pop() ?? '';
    for (const line of lines) {
      const m = /"level":(\d+).*"msg":"([^"]*)"/.exec(line);
      if (m && Number(m[1]) >= 40) {
        const key = `${Number(m[1]) >= 60 ? 'fatal' : Number(m[1]) >= 50 ? 'error' : 'warn'}: ${m[2]}`;
        logCounts.set(key, (logCounts.get(key) ?? 0) + 1);
      }
    }
  };
  rauta.proc.stdout?.on('data', countLog);
  rauta.proc.stderr?.on('data', countLog);
  await waitForHttp(rauta, adminPort, { path: '/readyz' });
  await waitForHttp(rauta, httpPort, { host: 'stable.soak' });
  log(`rauta pid ${rauta.pid} http :${httpPort} admin :${adminPort}; nats :${natsPort}; hanging OTLP collector :${collector.port}; ${MINUTES} min at ${RPS} req/s`);

  // A subscriber that counts the events reaching NATS (it reconnects by itself after each kill).
  let natsReceived = 0;
  const nc: NatsConnection = await natsConnect({ servers: `127.0.0.1:${natsPort}`, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const sub = nc.subscribe('rauta.requests');
  void (async () => {
    for await (const _m of sub) natsReceived++;
  })();

  // Live-feed clients: one reads everything, one never reads.
  let feedFrames = 0;
  const feedReader = request({ host: '127.0.0.1', port: adminPort, path: '/requests/stream' }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      feedFrames += c.split('\ndata: ').length - (c.startsWith('data: ') ? 0 : 1);
    });
    res.on('error', () => {});
  });
  feedReader.on('error', () => {});
  feedReader.end();
  const stalledFeed = tcpConnect({ host: '127.0.0.1', port: adminPort }, () => {
    stalledFeed.write('GET /requests/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    stalledFeed.pause();
  });
  stalledFeed.on('error', () => {});

  const endAt = t0 + MINUTES * 60_000;
  const kills: number[] = [];
  let natsKills = 0;
  const outcomes = { stable: { ok: 0, failed: 0 }, flaky: { ok: 0, failed: 0 } };
  const failures: Outcome[] = [];
  let inFlight = 0;
  let skipped = 0;
  const MAX_IN_FLIGHT = 64;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const pending = new Set<Promise<void>>();
  let seq = 0;

  const fire = () => {
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped++;
      return;
    }
    const host = seq++ % 2 === 0 ? 'stable.soak' : 'flaky.soak';
    inFlight++;
    const p = once(httpPort, agent, host, `/soak/${seq}`).then((o) => {
      inFlight--;
      const bucket = host === 'stable.soak' ? outcomes.stable : outcomes.flaky;
      if (o.status === 200) bucket.ok++;
      else {
        bucket.failed++;
        failures.push(o);
      }
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  // Paced: RPS spread over 20 ms ticks, carrying the fractional part.
  let credit = 0;
  const loadTimer = setInterval(() => {
    credit += RPS / 50;
    while (credit >= 1) {
      credit--;
      fire();
    }
  }, 20);

  let rewrites = 0;
  let invalidWrites = 0;
  const rewriteTimer = setInterval(() => {
    generation++;
    const mode = WRITE_MODES[generation % WRITE_MODES.length];
    if (mode === 'invalid') invalidWrites++;
    rewrites++;
    void rewrite(manifestPath, manifest(pods, generation), mode).catch((err: unknown) => log(`rewrite failed: ${String(err)}`));
  }, 3000);

  // The one-minute fault cycle.
  const faults: Promise<void>[] = [];
  const cycle = async (minute: number) => {
    const base = t0 + minute * 60_000;
    const at = async (offsetS: number) => {
      const wait = base + offsetS * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      return Date.now() < endAt - 2000;
    };
    if (await at(10)) {
      kills.push(Date.now());
      await kill(victim.child?.proc);
    }
    if (await at(25)) await startPod(victim);
    else if (victim.child?.proc.exitCode !== null) await startPod(victim);
    if (await at(35)) {
      natsKills++;
      await kill(natsProc);
    }
    if (await at(50) || natsProc?.exitCode !== null) natsProc = await startNats(natsPort);
  };
  for (let m = 0; m < MINUTES; m++) faults.push(cycle(m).catch((err: unknown) => log(`fault cycle ${m} failed: ${String(err)}`)));

  /** rssMb: RAUTA's whole process tree (the control plane and its data-plane workers). */
  const perMinute: { minute: number; rssMb: number; primaryRssMb: number; requests: number; natsDropped: number; liveFeedDropped: number }[] = [];
  let minute = 0;
  const sampleTimer = setInterval(async () => {
    minute++;
    try {
      const m = await scrape(adminPort);
      const row = {
        minute,
        rssMb: Math.round(treeRssMb(rauta.pid) * 10) / 10,
        primaryRssMb: Math.round(rssMb(rauta.pid) * 10) / 10,
        requests: sum(m, 'rauta_requests_total'),
        natsDropped: m.get('rauta_events_dropped_total{sink="nats"}') ?? 0,
        liveFeedDropped: m.get('rauta_live_feed_dropped_clients_total') ?? 0,
      };
      perMinute.push(row);
      log(`minute ${minute}: RSS ${row.rssMb} MB (tree; primary ${row.primaryRssMb}), rauta_requests_total ${row.requests}, ok stable ${outcomes.stable.ok} flaky ${outcomes.flaky.ok}, failed stable ${outcomes.stable.failed} flaky ${outcomes.flaky.failed}, nats received ${natsReceived}`);
    } catch (err) {
      log(`minute ${minute}: metrics scrape failed: ${String(err)}`);
    }
  }, 60_000);

  while (Date.now() < endAt && rautaExit === undefined) await sleep(250);
  clearInterval(loadTimer);
  clearInterval(rewriteTimer);
  clearInterval(sampleTimer);
  await Promise.all(pending);
  await Promise.all(faults);
  if (natsProc?.exitCode !== null) natsProc = await startNats(natsPort);
  // Let NATS reconnect and the buffered events drain.
  await sleep(5000);

  const final = rautaExit === undefined ? await scrape(adminPort) : new Map<string, number>();
  const expected = failures.filter((f) => f.host === 'flaky.soak' && kills.some((k) => f.start <= k && k <= f.end + 100));
  const unexpected = failures.filter((f) => !expected.includes(f));
  const sent = outcomes.stable.ok + outcomes.stable.failed + outcomes.flaky.ok + outcomes.flaky.failed;
  const report = {
    minutes: MINUTES,
    rps: RPS,
    rautaExited: rautaExit ?? null,
    requests: { sent, stable: outcomes.stable, flaky: outcomes.flaky, skippedByLoadGenerator: skipped },
    failures: {
      expected: expected.length,
      unexpected: unexpected.length,
      unexpectedByKind: groupFailures(unexpected, t0),
      expectedByKind: groupFailures(expected, t0),
    },
    faults: { backendKills: kills.length, natsKills, manifestRewrites: rewrites, invalidManifestWrites: invalidWrites, otlpExportsHung: collector.received() },
    events: {
      rautaRequestsTotal: sum(final, 'rauta_requests_total'),
      published: Object.fromEntries(['ring', 'nats', 'otlp', 'sse', 'metrics'].map((s) => [s, final.get(`rauta_events_published_total{sink="${s}"}`) ?? 0])),
      dropped: Object.fromEntries(['ring', 'nats', 'otlp', 'sse', 'metrics'].map((s) => [s, final.get(`rauta_events_dropped_total{sink="${s}"}`) ?? 0])),
      natsReceivedBySubscriber: natsReceived,
      liveFeedFramesRead: feedFrames,
      liveFeedDroppedClients: final.get('rauta_live_feed_dropped_clients_total') ?? 0,
      configReloads: { success: final.get('rauta_config_reloads_total{result="success"}') ?? 0, failure: final.get('rauta_config_reloads_total{result="failure"}') ?? 0 },
    },
    rssMbPerMinute: perMinute.map((r) => r.rssMb),
    rautaLog: Object.fromEntries([...logCounts.entries()].sort((a, b) => b[1] - a[1])),
    perMinute,
  };
  log(`report:\n${JSON.stringify(report, null, 2)}`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);

  const exitedDuringRun = rautaExit;
  const ok = exitedDuringRun === undefined && unexpected.length === 0;
  feedReader.destroy();
  stalledFeed.destroy();
  await nc.close().catch(() => {});
  agent.destroy();
  await rauta.stop();
  for (const p of pods) await p.child?.stop('SIGKILL');
  await kill(natsProc);
  collector.server.closeAllConnections();
  collector.server.close();
  rmSync(dir, { recursive: true, force: true });
  log(ok ? 'soak passed' : `soak FAILED: ${exitedDuringRun !== undefined ? `rauta exited (${exitedDuringRun}); ` : ''}${unexpected.length} unexpected failures`);
  if (exitedDuringRun !== undefined) process.stdout.write(`rauta output:\n${rauta.output()}\n`);
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`soak aborted: ${err instanceof Error ? err.stack : String(err)}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
