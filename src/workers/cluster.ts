import { type ChildProcess, fork } from 'node:child_process';
import { type Server, createServer } from 'node:net';
import type { Logger } from 'pino';
import type { AdminViews } from '../admin/admin-routes.ts';
import { type Config, settings } from '../config/settings.ts';
import { listenOn } from '../listen.ts';
import { selfSignedCertificate } from '../proxy/tls/self-signed.ts';
import { RautaError } from '../errors.ts';
import { type Rauta, startCore } from '../start.ts';
import type { RouteTable } from '../routing/route-table.ts';
import { LiveFeed } from '../telemetry/live-feed.ts';
import type { RequestEvent } from '../telemetry/request-event.ts';
import type { MetricsSnapshot } from '../telemetry/sinks/metrics.ts';
import type { FromWorker, ToWorker, WorkerEndpointHealth } from './protocol.ts';
import { type TableMeta, TableSender, tableMessages } from './table-feed.ts';

/** A worker that answers no admin query within this is left out of that answer. */
const QUERY_TIMEOUT_MS = 5000;
/** Per-worker health for /backends is refreshed this often (passive health is per worker). */
const BACKENDS_REFRESH_MS = 2000;
/** A worker that dies sooner than this after its start is replaced after a pause, not at once. */
const CRASH_LOOP_MS = 5000;

export interface Cluster {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
  /** Process ids of the live workers. */
  readonly pids: () => number[];
  /** Each live worker's own metrics (its two registries), e.g. to see how traffic spreads. */
  workerMetrics(): Promise<{ readonly id: number; readonly pid: number; readonly snapshots: readonly MetricsSnapshot[] }[]>;
  shutdown(): Promise<void>;
}

interface Worker {
  readonly id: number;
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** The last table seq this worker applied. */
  seq: number;
  listening: boolean;
  /** Why its start-up failed, as the worker reported it. */
  failure?: RautaError;
}

interface Applied {
  readonly seq: number;
  readonly table: RouteTable;
  readonly fingerprint: string;
  readonly appliedAt: string;
}

const HEALTH_RANK: Record<string, number> = { healthy: 0, unhealthy: 1, ejected: 2 };

/**
 * RAUTA on several cores: this process is the control plane (source, translation, Kubernetes status
 * and leader election, Events, active probes, the admin API) and N data-plane worker processes serve
 * traffic on shared ports (`reusePort`: each worker has its own listening socket and the kernel
 * spreads connections, so no process relays another's connections). A table is translated here once
 * and sent to every worker; /routes reports a table only when every worker has applied it. The
 * admin API covers all workers: /metrics adds their registries up, /requests merges their rings, the
 * live feed fans in their events, /backends shows each endpoint's worst state across workers (passive
 * health is per worker, as in Envoy). A worker that dies is logged, counted and replaced; the other
 * workers' connections are untouched.
 */
export async function startCluster(config: Config, logger: Logger, count: number): Promise<Cluster> {
  const log = logger.child({ component: 'workers' });
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const entry = new URL(`./worker-process${ext}`, import.meta.url);
  // The young generation is sized here: V8's default lets each process grow it to 64 MB semi-spaces.
  // The parent's own Node flags are kept (memory limits, loaders), except test-runner ones.
  const execArgv = [...process.execArgv.filter((a) => !a.startsWith('--max-semi-space-size') && !a.startsWith('--test')), `--max-semi-space-size=${config.workerSemiSpaceMb}`];
  const workers = new Map<number, Worker>();
  let ports = { http: config.httpPort, https: config.httpsPort };
  let seq = 0;
  /** The newest table: sent whole to each new worker, and to a worker that lost track (`resync`). */
  let latest: { readonly seq: number; readonly table: RouteTable; readonly meta: TableMeta } | undefined;
  const sender = new TableSender();
  const sendWhole = (w: Worker) => {
    if (latest !== undefined) for (const m of tableMessages(latest.seq, latest.table, latest.meta)) send(w, m);
  };
  const pending = new Map<number, Applied>();
  let confirmed: Applied | undefined;
  let stopping = false;
  let rauta: Rauta | undefined;
  let nextQuery = 1;
  const replies = new Map<number, (m: FromWorker & { type: 'reply' }) => void>();
  let feedListeners = 0;
  const feedSubscribers = new Set<(json: string) => void>();
  let backendHealth = new Map<string, WorkerEndpointHealth>();
  const listeningWaiters = new Set<() => void>();
  /** Endpoints the primary's active probes hold unhealthy (sent to every worker, and to each new one). */
  const unhealthy = new Set<string>();

  const send = (w: Worker, m: ToWorker) => {
    if (w.child.connected) w.child.send(m);
  };
  const broadcast = (m: ToWorker) => {
    for (const w of workers.values()) send(w, m);
  };

  /** The newest table every live worker has applied becomes what /routes shows. */
  const confirm = () => {
    let min = Number.POSITIVE_INFINITY;
    for (const w of workers.values()) if (w.listening) min = Math.min(min, w.seq);
    if (!Number.isFinite(min)) return;
    for (const [s, a] of pending) {
      if (s > min) continue;
      if (confirmed === undefined || s > confirmed.seq) confirmed = a;
      pending.delete(s);
    }
  };

  const onMessage = (w: Worker, m: FromWorker) => {
    switch (m.type) {
      case 'failed':
        w.failure = new RautaError(m.code, m.message);
        return;
      case 'listening':
        w.listening = true;
        confirm();
        for (const wake of listeningWaiters) wake();
        return;
      case 'applied':
        w.seq = Math.max(w.seq, m.seq);
        confirm();
        return;
      case 'refused':
        log.error({ worker: w.id, seq: m.seq, err: m.error }, 'a worker refused a route table');
        return;
      case 'resync':
        log.info({ worker: w.id, seq: m.seq }, 'a worker asked for the route table whole');
        sendWhole(w);
        return;
      case 'reply': {
        const reply = replies.get(m.id);
        replies.delete(m.id);
        reply?.(m);
        return;
      }
      case 'feed':
        for (const json of m.events) for (const l of feedSubscribers) l(json);
        return;
    }
  };

  const spawn = (id: number): Worker => {
    const child = fork(entry, [], { execArgv, serialization: 'advanced', stdio: 'inherit' });
    const w: Worker = { id, child, startedAt: Date.now(), seq: 0, listening: false };
    workers.set(id, w);
    child.on('message', (m: FromWorker) => onMessage(w, m));
    child.on('error', (err) => log.warn({ worker: id, err: err.message }, 'worker IPC error'));
    child.once('exit', (code, signal) => {
      if (workers.get(id) === w) workers.delete(id);
      confirm();
      if (stopping) return;
      rauta?.telemetry.metrics.workerRestarted();
      const quick = Date.now() - w.startedAt < CRASH_LOOP_MS;
      log.error({ worker: id, pid: child.pid, code, signal }, 'data-plane worker exited; starting a replacement');
      setTimeout(() => {
        if (!stopping) spawn(id);
      }, quick ? 1000 : 0).unref();
    });
    // Sent once the certificate is made: the worker queues what comes before it (tables, probe verdicts).
    void certificate.then((pem) => send(w, { type: 'init', id, config, httpPort: ports.http, httpsPort: ports.https, certificate: pem }), () => {});
    sendWhole(w);
    if (feedListeners > 0) send(w, { type: 'feed', on: true });
    for (const key of unhealthy) send(w, { type: 'probe', key, unhealthy: true });
    return w;
  };

  const waitListening = (w: Worker, timeoutMs: number) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`worker ${w.id} did not start listening within ${timeoutMs} ms`)), timeoutMs);
    const exited = () => done(w.failure ?? new Error(`worker ${w.id} exited during start-up`));
    const wake = () => {
      if (w.listening) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      listeningWaiters.delete(wake);
      w.child.off('exit', exited);
      if (err === undefined) resolve();
      else reject(err);
    };
    listeningWaiters.add(wake);
    w.child.once('exit', exited);
    wake();
  });

  const query = (w: Worker, what: 'metrics' | 'recent' | 'backends') => new Promise<(FromWorker & { type: 'reply' }) | undefined>((resolve) => {
    if (!w.child.connected || !w.listening) return resolve(undefined);
    const id = nextQuery++;
    const timer = setTimeout(() => {
      replies.delete(id);
      resolve(undefined);
    }, QUERY_TIMEOUT_MS);
    replies.set(id, (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    send(w, { type: 'query', id, what });
  });
  const queryAll = (what: 'metrics' | 'recent' | 'backends') => Promise.all([...workers.values()].map((w) => query(w, what)));

  const refreshBackends = async () => {
    const merged = new Map<string, WorkerEndpointHealth>();
    for (const reply of await queryAll('backends')) {
      for (const [key, h] of reply?.backends ?? []) {
        const prev = merged.get(key);
        if (prev === undefined) {
          merged.set(key, h);
          continue;
        }
        const worse = (HEALTH_RANK[h.health] ?? 0) > (HEALTH_RANK[prev.health] ?? 0) ? h : prev;
        merged.set(key, {
          health: worse.health,
          ejectedUntil: worse.ejectedUntil,
          consecutiveFailures: Math.max(prev.consecutiveFailures, h.consecutiveFailures),
          inFlight: prev.inFlight + h.inFlight,
        });
      }
    }
    backendHealth = merged;
  };
  const backendsTimer = setInterval(() => void refreshBackends(), BACKENDS_REFRESH_MS);
  backendsTimer.unref();

  const feed = new LiveFeed({
    maxClients: config.liveFeedMaxClients,
    maxBufferedBytes: config.liveFeedBufferBytes,
    subscribe: (listener) => {
      const l = (json: string) => listener({ event: JSON.parse(json) as RequestEvent, json });
      feedSubscribers.add(l);
      if (++feedListeners === 1) broadcast({ type: 'feed', on: true });
      return () => {
        if (feedSubscribers.delete(l) && --feedListeners === 0) broadcast({ type: 'feed', on: false });
      };
    },
    counters: {
      published: (n) => rauta?.telemetry.metrics.countersFor('sse').published(n),
      dropped: (n) => rauta?.telemetry.metrics.countersFor('sse').dropped(n),
    },
    onClientDropped: () => rauta?.telemetry.metrics.liveFeedDropped.inc(),
    onClientRejected: () => rauta?.telemetry.metrics.liveFeedRejected.inc(),
  });

  const views = (own: AdminViews): AdminViews => ({
    ...own,
    table: () => confirmed?.table ?? own.table(),
    applied: () => (confirmed === undefined ? undefined : { fingerprint: confirmed.fingerprint, appliedAt: confirmed.appliedAt }),
    notReady: () => {
      const why = own.notReady();
      if (why !== undefined) return why;
      const live = [...workers.values()].filter((w) => w.listening);
      if (live.length < count) return `${live.length} of ${count} workers serving`;
      if (live.some((w) => w.seq < seq)) return 'workers applying the route table';
      return undefined;
    },
    backends: {
      health: {
        status: (key) => {
          const h = backendHealth.get(key);
          return h === undefined ? own.backends.health.status(key) : { health: h.health as 'healthy', ejectedUntil: h.ejectedUntil, consecutiveFailures: h.consecutiveFailures };
        },
      },
      inFlight: { get: (key) => backendHealth.get(key)?.inFlight ?? 0 },
    },
    metrics: async () => {
      const [ownSnapshots, replies] = await Promise.all([(rauta as Rauta).telemetry.metricsSnapshots(), queryAll('metrics')]);
      const rest: MetricsSnapshot[] = ownSnapshots.slice(1);
      for (const r of replies) rest.push(...(r?.metrics ?? []));
      return (rauta as Rauta).telemetry.metrics.renderWith(rest);
    },
    requests: {
      feed,
      ring: {
        async recent(limit, keep) {
          const events: { event: RequestEvent; json: string }[] = [];
          for (const r of await queryAll('recent')) for (const json of r?.recent ?? []) events.push({ event: JSON.parse(json) as RequestEvent, json });
          // Each ring is newest first; merged by request start time, then by event id (ULIDs sort by time).
          events.sort((a, b) => (a.event.timestamp === b.event.timestamp ? (a.event.id < b.event.id ? 1 : -1) : a.event.timestamp < b.event.timestamp ? 1 : -1));
          const out: { event: RequestEvent; json: string }[] = [];
          for (const e of events) {
            if (out.length >= limit) break;
            if (keep(e.event)) out.push(e);
          }
          return out;
        },
      },
    },
  });

  // One start-up certificate for the whole pod (every worker serves the same one for unknown SNI), made
  // while the workers load their modules; a failure is reported where the primary awaits it.
  const certificate = selfSignedCertificate({ thread: true });
  certificate.catch(() => {});

  // Ports given as 0 are picked here, so every worker can start at once with the same ones: a socket
  // on port 0 (reusePort, never accepting) holds each until the workers listen on it.
  const reservations: Server[] = [];
  const reserve = async (port: number) => {
    if (port !== 0) return port;
    // It never serves: a connection the kernel hands it before the workers listen is reset at once.
    const server = createServer((socket) => socket.destroy());
    reservations.push(server);
    return listenOn(server, 0, config.bindAddress, { what: 'HTTP', port: settings.httpPort, address: settings.bindAddress }, true);
  };
  const release = () => {
    for (const r of reservations.splice(0)) r.close();
  };
  ports = { http: await reserve(config.httpPort), https: await reserve(config.httpsPort) };

  const stopAll = async () => {
    stopping = true;
    clearInterval(backendsTimer);
    const exits = [...workers.values()].map((w) => new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once('exit', () => resolve());
      send(w, { type: 'shutdown' });
      // Each worker drains within the grace period; one that hangs beyond it is killed.
      setTimeout(() => {
        w.child.kill('SIGKILL');
        resolve();
      }, (config.shutdownGraceSeconds + 10) * 1000).unref();
    }));
    await Promise.all(exits);
  };

  // Workers load their modules while the primary reads and translates the configuration.
  for (let id = 1; id <= count; id++) spawn(id);
  try {
    // No serving modules: this process serves no traffic (and never loads them).
    rauta = await startCore(config, logger, { controlPlane: { views }, certificate: await certificate }, undefined);
  } catch (err) {
    await stopAll();
    release();
    throw err;
  }
  rauta.telemetry.metrics.observeLiveFeed(() => ({ clients: feed.size, bufferedBytes: feed.bufferedBytes() }));
  // Active probes run here, once for the pod (the primary has no traffic, so every transition is a probe's).
  rauta.health.onChange((e) => {
    const down = e.newState === 'unhealthy';
    if (down === unhealthy.has(e.endpoint)) return;
    if (down) unhealthy.add(e.endpoint);
    else unhealthy.delete(e.endpoint);
    broadcast({ type: 'probe', key: e.endpoint, unhealthy: down });
  });
  const announce = (table: RouteTable, meta: TableMeta) => {
    const messages = sender.messages(++seq, table, meta);
    latest = { seq, table, meta };
    pending.set(seq, { seq, table, fingerprint: meta.fingerprint, appliedAt: meta.appliedAt });
    for (const m of messages) broadcast(m);
  };
  const current = rauta.reconciler.current;
  announce(rauta.routes.table, { fingerprint: current?.fingerprint ?? '', appliedAt: current?.appliedAt ?? new Date().toISOString(), durationMs: current?.durationMs ?? 0, newDiagnostics: [] });
  // Every later table: built and checked here (prepare), sent to the workers once it is live here.
  rauta.routes.participate({
    name: 'workers',
    prepare: (change) => () => announce(change.table, change),
  });

  try {
    await Promise.all([...workers.values()].map((w) => waitListening(w, 60_000)));
  } catch (err) {
    await stopAll();
    await rauta.shutdown();
    throw err;
  } finally {
    release();
  }
  logger.info({
    http: `${config.bindAddress}:${ports.http}`, https: `${config.bindAddress}:${ports.https}`, admin: `${config.adminBindAddress}:${rauta.adminPort}`,
    mode: config.config ? 'standalone' : 'kubernetes', workers: count, semi_space_mb: config.workerSemiSpaceMb,
  }, 'rauta listening');

  let shutdownPromise: Promise<void> | undefined;
  return {
    httpPort: ports.http,
    httpsPort: ports.https,
    adminPort: rauta.adminPort,
    pids: () => [...workers.values()].map((w) => w.child.pid ?? 0),
    async workerMetrics() {
      const list = [...workers.values()];
      const replies = await Promise.all(list.map((w) => query(w, 'metrics')));
      return list.map((w, i) => ({ id: w.id, pid: w.child.pid ?? 0, snapshots: replies[i]?.metrics ?? [] }));
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        feed.close();
        await stopAll();
        await (rauta as Rauta).shutdown();
      })();
      return shutdownPromise;
    },
  };
}
