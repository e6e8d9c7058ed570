/**
 * What the event pipeline costs: requests/s through RAUTA with every sink on (ring, metrics, NATS with
 * a mirror subject, OTLP spans to a local collector, access log) against the default configuration
 * (ring + metrics only, tracing off), in one run, alternating the two so drift hits both. Plus the
 * per-request cost of building and serializing an event (the schema-projecting serializer vs plain JSON.stringify).
 *
 * Run directly: `./node_modules/.bin/node bench/telemetry.ts > /dev/null` (the access log writes one
 * line per request to stdout; the summary goes to stderr), or import `benchTelemetry()`.
 */
import { createServer, get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { findTool } from '../scripts/system-tools.ts';
import { loadConfig } from '../src/config/load.ts';
import { startEcho } from '../src/demo/echo-server.ts';
import { type Rauta, startRauta } from '../src/main.ts';
import { newRecord } from '../src/proxy/request-record.ts';
import { TimestampCache, buildRequestEvent } from '../src/telemetry/request-event.ts';
import { compileRequestEventSerializer } from '../src/telemetry/serialize.ts';
import { type HandoffValue, pushFinished } from '../src/telemetry/handoff.ts';
import { OtelTracing } from '../src/telemetry/otel-tracing.ts';
import { PassiveTraceIds, type RequestTracing } from '../src/telemetry/tracing.ts';
import { UlidGenerator } from '../src/telemetry/ulid.ts';
import type { Endpoint } from '../src/routing/types.ts';

interface AutocannonResult { requests: { average: number; total: number }; non2xx: number; errors: number; timeouts: number }
type Autocannon = (opts: { url: string; connections: number; duration: number; headers: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface TelemetryBenchOptions {
  /** Seconds per measured round. */
  readonly seconds?: number;
  readonly rounds?: number;
  readonly connections?: number;
}

export interface TelemetryBenchResult {
  /**
   * Best requests/s over the rounds with the default configuration (ring + metrics, no NATS, no
   * tracing, no access log). Best, not mean: other load on the machine only ever lowers a round.
   */
  readonly baselineRps: number;
  /** Best requests/s over the rounds with every sink on. */
  readonly allSinksRps: number;
  /** allSinksRps / baselineRps. */
  readonly ratio: number;
  /**
   * CPU time of this whole process (RAUTA + echo backend + load generator) per request, µs. The
   * difference between the two is what the sinks cost per request; unlike requests/s it barely moves
   * when other processes compete for the CPU. Lowest over the rounds.
   */
  readonly baselineCpuUsPerRequest: number;
  readonly allSinksCpuUsPerRequest: number;
  /**
   * The same two configurations with RAUTA in a child process (`src/cli.ts`, stdout discarded): CPU
   * time of RAUTA's main thread (its event loop) per request, µs, lowest over the rounds. For a CPU-bound proxy,
   * `childCpuRatio` = baseline / all sinks is the throughput ratio, and it is far less disturbed by
   * other load on the machine than requests/s.
   */
  readonly childBaselineCpuUsPerRequest: number;
  readonly childAllSinksCpuUsPerRequest: number;
  readonly childCpuRatio: number;
  readonly natsIncluded: boolean;
  readonly failedRequests: number;
  /** ns per event: build from a record, then serialize. */
  readonly buildEventNs: number;
  readonly fastJsonStringifyNs: number;
  readonly jsonStringifyNs: number;
  /** ns per request for the observer's trace work with tracing off (ids only) … */
  readonly passiveTraceNs: number;
  /** … and on (always_on; spans written into a BatchSpanProcessor whose export never runs here). */
  readonly tracingNs: number;
}

const MANIFEST = (port: number) => `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: rauta }
spec: { controller: rauta.io/ingress-controller }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bench, namespace: default }
spec:
  ingressClassName: rauta
  rules:
    - host: bench.test
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: echo, port: { number: 80 } } } }] }
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: echo-1, namespace: default, labels: { kubernetes.io/service-name: echo } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true }, targetRef: { kind: Pod, name: echo-0, namespace: default } }]
`;

/**
 * utime + stime in clock ticks (100 per second on Linux) of the process's main thread — the event loop
 * that limits a Node.js proxy's throughput (the OTLP export worker and libuv threads run beside it).
 */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function ready(adminPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port: adminPort, path: '/readyz' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The event build + serialize step alone, from a typical finished record. */
function microBench(): Pick<TelemetryBenchResult, 'buildEventNs' | 'fastJsonStringifyNs' | 'jsonStringifyNs' | 'passiveTraceNs' | 'tracingNs'> {
  const rec = newRecord(Date.now(), performance.now());
  Object.assign(rec, {
    requestId: '5d2f7a7e-0c1e-4d5b-9b4e-1f7f3f0d2a11', method: 'GET', host: 'shop.example.com', path: '/api/users/42',
    clientIp: '10.0.0.7', userAgent: 'curl/8.5.0', attempts: 1, statusCode: 200, bytesOut: 512, durationMs: 1.234, upstreamDurationMs: 1.1,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7',
    route: { ingress: { namespace: 'shop', name: 'api' }, host: 'shop.example.com', path: '/api', pathType: 'Prefix', tls: false, policy: {}, backend: { id: 'shop/api:80', namespace: 'shop', service: 'api', servicePort: '80', endpoints: [] } },
    endpoint: { key: '10.0.1.42:8080', ip: '10.0.1.42', port: 8080, ready: true, serving: true, terminating: false, weight: 1, pod: 'api-7d9f', node: 'node-a', zone: 'eu-1a' },
  });
  const opts = { cluster: 'prod', node: 'node-a', includeQuery: false, ids: new UlidGenerator(), timestamps: new TimestampCache() };
  const serialize = compileRequestEventSerializer();
  const n = 200_000;
  const time = (f: () => void) => {
    for (let i = 0; i < 10_000; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t0) * 1e6) / n;
  };
  const event = buildRequestEvent(rec, opts);
  let sink = 0;
  // The proxy thread's whole share per request: trace ids (and the sampler), then the handoff of the
  // finished request to the telemetry thread (event, JSON, sinks and spans are made there).
  let values: HandoffValue[] = [];
  const tracingOn = new OtelTracing(new AlwaysOnSampler());
  const traceCycle = (t: RequestTracing) => () => {
    const r = { ...rec, telemetry: undefined };
    t.start(r, {});
    t.upstreamHeaders(r, 1, r.endpoint as Endpoint);
    t.attemptFinished(r, r.endpoint as Endpoint, undefined, 200);
    if (values.length > 100_000) values = [];
    pushFinished(values, r, t.facts(r));
  };
  return {
    passiveTraceNs: time(traceCycle(new PassiveTraceIds())),
    tracingNs: time(traceCycle(tracingOn)),
    buildEventNs: time(() => { sink += buildRequestEvent(rec, opts).data.status_code; }),
    fastJsonStringifyNs: time(() => { sink += serialize(event).length; }),
    jsonStringifyNs: time(() => { sink += JSON.stringify(event).length + (sink & 0); }),
  };
}

export async function benchTelemetry(o: TelemetryBenchOptions = {}): Promise<TelemetryBenchResult> {
  const seconds = o.seconds ?? 5;
  const rounds = o.rounds ?? 3;
  const connections = o.connections ?? 32;
  const dir = await mkdtemp(join(tmpdir(), 'rauta-bench-'));
  const echo = await startEcho({ namespace: 'default', ingress: 'bench', service: 'echo', pod: 'echo-0' }, '127.0.0.1');
  const manifest = join(dir, 'bench.yaml');
  await writeFile(manifest, MANIFEST(echo.port));

  // A collector that accepts every export at once.
  const collector = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200); res.end(); }); });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const collectorPort = (collector.address() as { port: number }).port;

  const natsBinary = findTool('nats-server');
  const natsIncluded = natsBinary !== undefined;
  const natsPort = await freePort();
  const nats = natsBinary !== undefined ? spawn(natsBinary, ['-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' }) : undefined;
  await new Promise((r) => setTimeout(r, 300));

  const base = { RAUTA_CONFIG: manifest, RAUTA_HTTP_PORT: '0', RAUTA_HTTPS_PORT: '0', RAUTA_ADMIN_PORT: '0', RAUTA_BIND_ADDRESS: '127.0.0.1', RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1', RAUTA_SHUTDOWN_GRACE_SECONDS: '1' };
  const allOn = {
    ...base,
    ...(natsIncluded ? { NATS_URL: `nats://127.0.0.1:${natsPort}`, RAUTA_NATS_MIRROR_SUBJECT: 'observations.rauta' } : {}),
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
    OTEL_TRACES_SAMPLER: 'always_on',
    RAUTA_ACCESS_LOG: 'true',
  };
  const logger = pino({ level: 'silent' });
  let failed = 0;

  const measure = async (env: Record<string, string>): Promise<{ rps: number; cpuUs: number }> => {
    const rauta: Rauta = await startRauta(loadConfig([], env).config, logger);
    const url = `http://127.0.0.1:${rauta.httpPort}/bench`;
    const headers = { host: 'bench.test' };
    await autocannon({ url, connections, duration: 1, headers });
    const cpu0 = process.cpuUsage();
    const r = await autocannon({ url, connections, duration: seconds, headers });
    const cpu = process.cpuUsage(cpu0);
    failed += r.non2xx + r.errors + r.timeouts;
    await rauta.shutdown();
    return { rps: r.requests.average, cpuUs: (cpu.user + cpu.system) / (r.requests.total || 1) };
  };

  /** RAUTA as its own process: CPU ticks from /proc around the measured load. */
  const measureChild = async (env: Record<string, string>): Promise<number> => {
    const [httpPort, adminPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [fileURLToPath(new URL('../src/cli.ts', import.meta.url))], {
      env: { ...process.env, ...env, RAUTA_HTTP_PORT: String(httpPort), RAUTA_ADMIN_PORT: String(adminPort), RAUTA_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    try {
      const deadline = Date.now() + 15_000;
      while (!(await ready(adminPort))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('RAUTA child did not become ready');
        await new Promise((r) => setTimeout(r, 100));
      }
      const url = `http://127.0.0.1:${httpPort}/bench`;
      const headers = { host: 'bench.test' };
      await autocannon({ url, connections, duration: 1, headers });
      const t0 = await cpuTicks(child.pid as number);
      const r = await autocannon({ url, connections, duration: seconds, headers });
      const t1 = await cpuTicks(child.pid as number);
      failed += r.non2xx + r.errors + r.timeouts;
      return ((t1 - t0) * 10_000) / (r.requests.total || 1);
    } finally {
      child.kill('SIGKILL');
    }
  };

  const baseline: { rps: number; cpuUs: number }[] = [];
  const allSinks: { rps: number; cpuUs: number }[] = [];
  const childBaseline: number[] = [];
  const childAllSinks: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      baseline.push(await measure(base));
      allSinks.push(await measure(allOn));
      childBaseline.push(await measureChild(base));
      childAllSinks.push(await measureChild(allOn));
    }
  } finally {
    nats?.kill('SIGKILL');
    collector.closeAllConnections();
    collector.close();
    await echo.close();
    await rm(dir, { recursive: true, force: true });
  }
  const baselineRps = Math.max(...baseline.map((x) => x.rps));
  const allSinksRps = Math.max(...allSinks.map((x) => x.rps));
  return {
    baselineRps, allSinksRps, ratio: allSinksRps / baselineRps,
    baselineCpuUsPerRequest: Math.min(...baseline.map((x) => x.cpuUs)),
    allSinksCpuUsPerRequest: Math.min(...allSinks.map((x) => x.cpuUs)),
    childBaselineCpuUsPerRequest: Math.min(...childBaseline),
    childAllSinksCpuUsPerRequest: Math.min(...childAllSinks),
    childCpuRatio: Math.min(...childBaseline) / Math.min(...childAllSinks),
    natsIncluded, failedRequests: failed, ...microBench(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // 2 rounds of 3 s: `npm run bench` runs this pinned to one core (load, RAUTA, echo, nats-server share it)
  // within a time bound; 3 rounds of 5 s took over a minute there.
  const r = await benchTelemetry({ rounds: 2, seconds: 3 });
  process.stderr.write(`${JSON.stringify(r, null, 2)}\n`);
  process.stderr.write(`all sinks on: ${r.allSinksRps.toFixed(0)} req/s vs default ${r.baselineRps.toFixed(0)} req/s → ${(r.ratio * 100).toFixed(1)}% (cost ${((1 - r.ratio) * 100).toFixed(1)}%)\n`);
  process.stderr.write(`RAUTA event-loop CPU per request (child process): ${r.childAllSinksCpuUsPerRequest.toFixed(1)} µs all sinks vs ${r.childBaselineCpuUsPerRequest.toFixed(1)} µs default → throughput ratio ≈ ${(r.childCpuRatio * 100).toFixed(1)}%\n`);
  process.stderr.write(`CPU per request (whole process): ${r.allSinksCpuUsPerRequest.toFixed(1)} µs vs ${r.baselineCpuUsPerRequest.toFixed(1)} µs → sinks add ${(r.allSinksCpuUsPerRequest - r.baselineCpuUsPerRequest).toFixed(1)} µs\n`);
  process.exit(0);
}
