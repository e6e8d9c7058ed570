import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { ErrorKinds } from '../../proxy/errors.ts';
import type { RequestRecord } from '../../proxy/request-record.ts';
import { EventBus } from '../bus.ts';
import { type HandoffValue, type TraceFacts, readFinished } from '../handoff.ts';
import { type RequestEvent, type RequestEventOptions, TimestampCache, buildRequestEvent } from '../request-event.ts';
import { compileRequestEventSerializer } from '../serialize.ts';
import { AccessLogSink, asyncStdout } from '../sinks/access-log.ts';
import { Metrics } from '../sinks/metrics.ts';
import type { NatsPublisher } from '../sinks/nats.ts';
import { createSpanExport } from '../sinks/otlp-export.ts';
import { RingSink } from '../sinks/ring.ts';
import { type RequestSpanInput, type SpanValue, pushRequestSpans } from '../sinks/span-record.ts';
import { UlidGenerator } from '../ulid.ts';
import type { FromTelemetry, TelemetryWorkerData, ToTelemetry } from './protocol.ts';

/**
 * The telemetry thread: everything the sinks do per request happens here, off the proxy's event loop.
 * Finished requests arrive in batches of flat values (handoff.ts); for each one the event is built and
 * serialized once, kept in the ring, counted in the request metrics, published on NATS, written to
 * the access log, and its spans encoded into the open OTLP batch. The proxy thread asks for the
 * ring (/requests), the metrics (/metrics, added to its own) and the live feed by message.
 */
const init = workerData as TelemetryWorkerData;
const taken = new Int32Array(init.taken);
const port = parentPort;
if (port === null) throw new Error('telemetry-worker must run as a worker thread');
const send = (m: FromTelemetry) => port.postMessage(m);

// Log lines go to the proxy thread's logger (one stream, one format); they are rare (NATS state, export failures).
const logger = pino({ level: init.logLevel }, { write: (line: string) => send({ type: 'log', line }) });
const metrics = new Metrics({ processMetrics: false });
const bus = new EventBus({ queueSize: init.eventQueueSize, serialize: compileRequestEventSerializer(), counters: (s) => metrics.countersFor(s) });
const ring = new RingSink(init.ringSize, metrics.countersFor('ring'));
bus.add(ring);
bus.add(metrics);
if (init.accessLog) bus.add(new AccessLogSink(asyncStdout(metrics.countersFor('log')), metrics.countersFor('log')));

let nats: NatsPublisher | undefined;
if (init.nats !== undefined) {
  // nats.js is loaded only when NATS is configured.
  const { NatsPublisher, NatsSink } = await import('../sinks/nats.ts');
  nats = new NatsPublisher({
    url: init.nats.url, credsFile: init.nats.credsFile, token: init.nats.token, bufferSize: init.nats.bufferSize,
    counters: metrics.countersFor('nats'),
    onConnectedChange: (up) => {
      metrics.natsConnected.set(up ? 1 : 0);
      send({ type: 'nats', connected: up });
    },
    logger,
  });
  bus.add(new NatsSink(nats, init.nats.subject, init.nats.mirror));
  nats.start();
}

const WARN_EVERY_MS = 30_000;
let lastExportWarning = 0;
const otlpCounters = metrics.countersFor('otlp');
const spans = init.spans === undefined ? undefined : await createSpanExport(init.spans, (o) => {
  if (o.ok) return otlpCounters.published(o.spans);
  otlpCounters.dropped(o.spans);
  if (o.dropped === true) return;
  const now = Date.now();
  if (now - lastExportWarning > WARN_EVERY_MS) {
    lastExportWarning = now;
    logger.warn({ component: 'telemetry', err: o.error, spans: o.spans }, 'OTLP export failed; spans dropped');
  }
});

let feedOn = false;
let feed: string[] = [];
ring.subscribe((entry) => {
  if (feedOn) feed.push(entry.json);
});

const eventOptions: RequestEventOptions = { cluster: init.cluster, node: init.node, includeQuery: init.includeQuery, ids: new UlidGenerator(), timestamps: new TimestampCache() };

/** The SERVER span's description, from the event (so span and event always agree) and the trace facts. */
function spanInput(rec: RequestRecord, e: RequestEvent, t: TraceFacts): RequestSpanInput {
  const d = e.data;
  const route = rec.route;
  return {
    traceId: e.context.trace_id, spanId: e.context.span_id, parentSpanId: t.parentSpanId, parentFlags: t.parentFlags, traceState: t.traceState,
    startMs: t.startEpochMs, endMs: t.startEpochMs + rec.durationMs, method: d.method, statusCode: d.status_code, path: rec.path, scheme: d.scheme,
    target: init.includeQuery && rec.query !== '' ? `${rec.path}?${rec.query}` : rec.path,
    host: d.host, clientIp: d.client_ip, protocol: d.protocol, userAgent: d.user_agent, requestId: d.request_id,
    routePath: d.route?.path ?? null, namespace: e.context.namespace ?? null, ingress: d.route?.ingress ?? null,
    service: route?.backend.service ?? null, backendNamespace: route?.backend.namespace ?? null,
    pod: d.backend?.pod ?? null, podIp: d.backend?.pod_ip ?? null,
    errorCode: e.error?.code ?? null, errorMessage: e.error?.message ?? null, failed: e.severity === 'error',
    routeKind: d.route?.kind ?? null, routeRule: d.route?.rule ?? null,
  };
}

let spanValues: SpanValue[] = [];
let spanCount = 0;

function onRecords(values: readonly HandoffValue[]): number {
  const count = readFinished(values, (rec, trace) => {
    const event = buildRequestEvent(rec, eventOptions);
    const kind = rec.error?.kind;
    if (rec.route !== undefined && (kind === ErrorKinds.noEndpoints || kind === ErrorKinds.backendUnavailable)) {
      metrics.backendError(rec.route.backend.namespace, rec.route.backend.service, kind.code);
    }
    if (trace !== undefined && spans !== undefined) {
      pushRequestSpans(spanValues, spanInput(rec, event, trace), trace.attempts);
      spanCount += 1 + trace.attempts.length;
    }
    bus.publish(event);
  });
  bus.drain();
  if (spanCount > 0 && spans !== undefined) {
    spans.add(spanValues, spanCount);
    spanValues = [];
    spanCount = 0;
  }
  if (feed.length > 0) {
    send({ type: 'feed', events: feed });
    feed = [];
  }
  return count;
}

port.on('message', (m: ToTelemetry) => {
  switch (m.type) {
    case 'records':
      onRecords(m.values);
      Atomics.add(taken, 0, m.count);
      return;
    case 'control':
      nats?.publish(m.subject, Buffer.from(m.json));
      return;
    case 'feed':
      feedOn = m.on;
      return;
    case 'query':
      if (m.what === 'recent') send({ type: 'reply', id: m.id, recent: ring.recentJson() });
      else void metrics.snapshot().then((snapshot) => send({ type: 'reply', id: m.id, metrics: snapshot }));
      return;
    case 'shutdown':
      void Promise.allSettled([bus.close(), spans?.shutdown()]).then(() => send({ type: 'shutdown-done' }));
      return;
  }
});
send({ type: 'ready' });
