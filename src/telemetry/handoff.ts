import { type ErrorKind, ErrorKinds, ProxyError } from '../proxy/errors.ts';
import { type RequestRecord, newRecord } from '../proxy/request-record.ts';
import type { RouteKind } from '../routing/conditions.ts';
import type { Endpoint, PathType, Route } from '../routing/types.ts';
import { ATTEMPT, type AttemptSpanInput, pushAttempt, readAttempt } from './sinks/span-record.ts';

/**
 * A finished request as it crosses from the proxy thread to the telemetry thread: a run of primitives
 * appended to a flat array, many requests per postMessage. Structured clone copies primitives and
 * flat strings cheaply; the event object, its JSON, NATS framing, metrics and spans are all made on
 * the other side from these values (telemetry-worker.ts).
 *
 * The values are exactly what the request event and the spans read from a RequestRecord. When the
 * event gains a field, it is added here too (test/telemetry-handoff.test.ts builds every kind of event
 * both ways and compares them).
 */
export type HandoffValue = string | number | boolean | null;

/** The tracing half: present when the request was sampled. */
export interface TraceFacts {
  readonly parentSpanId: string | null;
  readonly parentFlags: number;
  /** The incoming `tracestate`, normalised. */
  readonly traceState: string | null;
  /** performance.timeOrigin + startedHr: span times are epoch ms (each thread has its own time origin). */
  readonly startEpochMs: number;
  readonly attempts: readonly AttemptSpanInput[];
}

const RECORD = 38;

const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** Appends one finished request (and its trace, when sampled). */
export function pushFinished(out: HandoffValue[], r: RequestRecord, trace: TraceFacts | undefined): void {
  const route = r.route;
  const ep = r.endpoint;
  const err = r.error;
  out.push(
    r.startedAt, r.requestId, r.method, r.scheme, r.host, r.path, r.query, r.protocol, r.clientIp, r.userAgent,
    r.attempts, r.statusCode, r.bytesIn, r.bytesOut, r.durationMs, opt(r.upstreamDurationMs),
    err === undefined ? null : err.kind.code, err === undefined ? null : err.message, opt(r.traceId), opt(r.spanId),
  );
  if (route === undefined) out.push(null, null, null, null, null, null, null, null, null, null);
  else {
    out.push(route.ingress.namespace, route.ingress.name, route.host, route.path, route.pathType, route.backend.namespace, route.backend.service, route.backend.servicePort);
    out.push(route.source?.kind ?? null, route.source?.rule ?? null);
  }
  if (ep === undefined) out.push(null, null, null, null, null, null, null);
  else out.push(ep.ip, ep.port, opt(ep.pod), opt(ep.podUid), opt(ep.node), opt(ep.zone), ep.key);
  if (trace === undefined) {
    out.push(-1);
    return;
  }
  out.push(trace.attempts.length, trace.parentSpanId, trace.parentFlags, trace.traceState, trace.startEpochMs);
  for (const a of trace.attempts) pushAttempt(out, a);
}

const kindsByCode = new Map<string, ErrorKind>(Object.values(ErrorKinds).map((k) => [k.code, k]));

const str = (v: HandoffValue): string => v as string;
const num = (v: HandoffValue): number => v as number;
const und = <T>(v: HandoffValue): T | undefined => (v === null ? undefined : (v as T));

/**
 * Walks a batch, handing each request back as a RequestRecord (route and endpoint carry the fields
 * events read; the error keeps its kind, so status and outcome rules apply unchanged).
 */
export function readFinished(v: readonly HandoffValue[], visit: (rec: RequestRecord, trace: TraceFacts | undefined) => void): number {
  let n = 0;
  for (let i = 0; i < v.length; n++) {
    const rec = newRecord(num(v[i]), 0);
    rec.requestId = str(v[i + 1]);
    rec.method = str(v[i + 2]);
    rec.scheme = v[i + 3] as RequestRecord['scheme'];
    rec.host = str(v[i + 4]);
    rec.path = str(v[i + 5]);
    rec.query = str(v[i + 6]);
    rec.protocol = v[i + 7] as RequestRecord['protocol'];
    rec.clientIp = str(v[i + 8]);
    rec.userAgent = str(v[i + 9]);
    rec.attempts = num(v[i + 10]);
    rec.statusCode = num(v[i + 11]);
    rec.bytesIn = num(v[i + 12]);
    rec.bytesOut = num(v[i + 13]);
    rec.durationMs = num(v[i + 14]);
    rec.upstreamDurationMs = und<number>(v[i + 15]);
    if (v[i + 16] !== null) rec.error = new ProxyError(kindsByCode.get(str(v[i + 16])) ?? ErrorKinds.internal, str(v[i + 17]));
    rec.traceId = und<string>(v[i + 18]);
    rec.spanId = und<string>(v[i + 19]);
    if (v[i + 20] !== null) {
      rec.route = {
        ingress: { namespace: str(v[i + 20]), name: str(v[i + 21]) }, host: str(v[i + 22]), path: str(v[i + 23]), pathType: v[i + 24] as PathType,
        backend: { namespace: str(v[i + 25]), service: str(v[i + 26]), servicePort: str(v[i + 27]) },
        ...(v[i + 28] !== null ? { source: { kind: v[i + 28] as RouteKind, namespace: str(v[i + 20]), name: str(v[i + 21]), rule: und<string>(v[i + 29]) } } : {}),
      } as Route;
    }
    if (v[i + 30] !== null) {
      rec.endpoint = {
        ip: str(v[i + 30]), port: num(v[i + 31]), pod: und<string>(v[i + 32]), podUid: und<string>(v[i + 33]), node: und<string>(v[i + 34]),
        zone: und<string>(v[i + 35]), key: str(v[i + 36]), ready: true, serving: true, terminating: false, weight: 1,
      } satisfies Endpoint;
    }
    const spans = num(v[i + 37]);
    i += RECORD;
    if (spans < 0) {
      visit(rec, undefined);
      continue;
    }
    const head = i;
    const attempts: AttemptSpanInput[] = [];
    i += 4;
    for (let a = 0; a < spans; a++, i += ATTEMPT) attempts.push(readAttempt(v, i));
    visit(rec, { parentSpanId: v[head] as string | null, parentFlags: num(v[head + 1]), traceState: v[head + 2] as string | null, startEpochMs: num(v[head + 3]), attempts });
  }
  return n;
}
