import type { Config } from '../config/settings.ts';
import type { PemPair } from '../proxy/tls/certificate-store.ts';
import type { TableChange } from '../routing/route-state.ts';
import { RautaError } from '../errors.ts';
import { installFatalHandlers } from '../fatal.ts';
import { createLogger } from '../logger.ts';
import { serving } from '../proxy/serving.ts';
import { type Rauta, startCore } from '../start.ts';
import type { FromWorker, TableMessage, TablePart, ToWorker } from './protocol.ts';
import { TableAssembler } from './table-feed.ts';

/**
 * A data-plane worker process (forked by cluster.ts, configured by the primary's `init` message): the proxy, its telemetry thread and passive health, fed route tables by the primary over
 * IPC. It shares the traffic ports with the other workers (reusePort) and has no admin listener: the
 * primary answers /metrics, /requests and /backends by asking every worker.
 */
const send = (m: FromWorker): void => {
  process.send?.(m);
};
let logger = createLogger('info');

let rauta: Rauta | undefined;
let apply: ((change: TableChange) => void) | undefined;
let first: (() => void) | undefined;
const early: (TableMessage | TablePart)[] = [];
const assembler = new TableAssembler();

function onTable(m: TableMessage | TablePart): void {
  if (apply === undefined) {
    early.push(m);
    return;
  }
  if (m.type === 'table-part') {
    assembler.part(m);
    return;
  }
  try {
    const change = assembler.change(m);
    if (change === undefined) {
      // Relative to a table this worker never got (it started or refused one in between): ask for it whole.
      send({ type: 'resync', seq: m.seq });
      return;
    }
    apply(change);
    send({ type: 'applied', seq: m.seq });
    first?.();
  } catch (err) {
    // The primary validated the table; a refusal here is a bug, reported and logged, not a crash.
    logger.error({ err, seq: m.seq }, 'route table refused');
    send({ type: 'refused', seq: m.seq, error: (err as Error).message });
  }
}

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  void (rauta?.shutdown() ?? Promise.resolve()).finally(() => process.exit(code));
}

async function answer(m: ToWorker & { type: 'query' }): Promise<void> {
  if (rauta === undefined) return send({ type: 'reply', id: m.id });
  if (m.what === 'metrics') return send({ type: 'reply', id: m.id, metrics: await rauta.telemetry.metricsSnapshots() });
  if (m.what === 'recent') return send({ type: 'reply', id: m.id, recent: await rauta.telemetry.recentJson() });
  const { health, inFlight } = rauta;
  // Only endpoints with something to say: the primary reads a missing one as healthy, clean, idle. With
  // 10,000 Services, sending every endpoint every 2 s stalled this loop for 100+ ms each time.
  const keys = health.notable();
  for (const key of inFlight.busy()) keys.add(key);
  const out: [string, { health: string; ejectedUntil: number | undefined; consecutiveFailures: number; inFlight: number }][] = [];
  for (const key of keys) out.push([key, { ...health.status(key), inFlight: inFlight.get(key) }]);
  send({ type: 'reply', id: m.id, backends: out });
}

/** Probe verdicts that arrived before start-up finished. */
const probes = new Map<string, boolean>();
let unsubscribe: (() => void) | undefined;
let feed: string[] = [];
process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'init':
      logger = createLogger(m.config.logLevel).child({ worker: m.id });
      installFatalHandlers(logger);
      void start(m.config, m.httpPort, m.httpsPort, m.certificate);
      return;
    case 'table-part':
    case 'table':
      onTable(m);
      return;
    case 'query':
      void answer(m);
      return;
    case 'feed':
      if (m.on && unsubscribe === undefined && rauta !== undefined) {
        unsubscribe = rauta.telemetry.subscribeEvents((json) => {
          // Gathered per turn: one IPC message carries every event of it.
          if (feed.push(json) === 1) setImmediate(() => {
            send({ type: 'feed', events: feed });
            feed = [];
          });
        });
      } else if (!m.on) {
        unsubscribe?.();
        unsubscribe = undefined;
      }
      return;
    case 'probe':
      if (rauta === undefined) probes.set(m.key, m.unhealthy);
      else rauta.health.setProbeResult(m.key, m.unhealthy);
      return;
    case 'shutdown':
      stop(0);
      return;
  }
});
// The primary is gone (crashed or killed): a worker never serves on without its control plane.
process.on('disconnect', () => stop(0));
process.once('SIGTERM', () => stop(0));
// Ctrl-C reaches the whole process group: the primary decides when workers stop.
process.on('SIGINT', () => {});

async function start(config: Config, httpPort: number, httpsPort: number, certificate: PemPair): Promise<void> {
  try {
    rauta = await startCore(config, logger, {
      certificate,
      dataPlane: {
        httpPort,
        httpsPort,
        tables: {
          start: (fn) => new Promise<void>((resolve) => {
            apply = fn;
            first = () => {
              first = undefined;
              resolve();
            };
            for (const m of early.splice(0)) onTable(m);
          }),
        },
      },
    }, serving);
    for (const [key, unhealthy] of probes) rauta.health.setProbeResult(key, unhealthy);
    probes.clear();
    send({ type: 'listening', httpPort: rauta.httpPort, httpsPort: rauta.httpsPort });
  } catch (err) {
    // The primary reports it (once, in words, with its code); a log line here would say it twice.
    const failed: FromWorker = { type: 'failed', code: err instanceof RautaError ? err.code : 'RAUTA_ERR_INTERNAL', message: (err as Error).message };
    // Exit once the message is on its way: exiting at once could drop it.
    if (process.send === undefined) process.exit(1);
    process.send(failed, () => process.exit(1));
  }
}
