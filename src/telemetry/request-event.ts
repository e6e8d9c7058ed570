import { ErrorKinds } from '../proxy/errors.ts';
import type { RequestRecord } from '../proxy/request-record.ts';
import type { PathType } from '../routing/types.ts';
import type { UlidGenerator } from './ulid.ts';

/**
 * The request event: the TypeScript mirror of `schemas/request-event.v1.json` (the schema is the
 * contract; tests validate every built event against it). Optional fields are omitted, never null.
 */
export type Severity = 'info' | 'warning' | 'error';
export type Outcome = 'success' | 'failure' | 'timeout';

export interface EventEntity {
  readonly kind: 'ingress' | 'httproute' | 'grpcroute' | 'service' | 'pod';
  readonly id: string;
  readonly name: string;
}

export interface RequestEvent {
  readonly id: string;
  readonly timestamp: string;
  readonly source: 'rauta';
  readonly type: 'http.request';
  readonly protocol_version: '1.0';
  readonly severity: Severity;
  readonly outcome: Outcome;
  readonly error?: { readonly code: string; readonly message: string };
  readonly context: {
    readonly cluster?: string;
    readonly namespace?: string;
    readonly node?: string;
    readonly trace_id: string;
    readonly span_id: string;
    readonly entities: readonly EventEntity[];
    readonly correlation_keys: readonly string[];
  };
  readonly data: {
    readonly request_id: string;
    readonly method: string;
    readonly scheme: 'http' | 'https';
    readonly host: string;
    readonly path: string;
    readonly protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' | 'websocket';
    readonly status_code: number;
    readonly duration_ms: number;
    readonly upstream_duration_ms?: number;
    readonly bytes_in: number;
    readonly bytes_out: number;
    readonly client_ip: string;
    readonly user_agent: string;
    /**
     * `ingress` is the name of the object that owns the route. Gateway API routes add `kind`
     * (HTTPRoute, GRPCRoute) and `rule` (the rule's name, else its index); Ingress routes leave both out,
     * so their events are exactly what they were.
     */
    readonly route?: { readonly ingress: string; readonly host: string; readonly path: string; readonly path_type: PathType; readonly kind?: 'HTTPRoute' | 'GRPCRoute'; readonly rule?: string };
    readonly backend?: {
      readonly service: string;
      readonly service_port: string;
      readonly pod?: string;
      readonly pod_ip?: string;
      readonly pod_port?: number;
      readonly node?: string;
      readonly zone?: string;
    };
    readonly attempts: number;
  };
}

/** What every event of this process shares. */
export interface EventIdentity {
  /** RAUTA_CLUSTER_NAME; '' = omit. */
  readonly cluster: string;
  /** NODE_NAME (downward API); '' = omit. */
  readonly node: string;
}

export interface RequestEventOptions extends EventIdentity {
  readonly includeQuery: boolean;
  readonly ids: UlidGenerator;
  readonly timestamps: TimestampCache;
}

/**
 * RFC 3339 timestamps with ms. At high request rates many requests start in the same millisecond, and
 * `toISOString` is one of the costlier steps of building an event, so the last one is reused.
 */
export class TimestampCache {
  private lastMs = Number.NaN;
  private lastText = '';

  format(ms: number): string {
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastText = new Date(ms).toISOString();
    }
    return this.lastText;
  }
}

/** Rounds to µs: enough precision for latency, and keeps the JSON short. */
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The status the client saw. A request that failed before any response head shows its error's status (499 for a client abort). */
export function effectiveStatus(rec: RequestRecord): number {
  if (rec.error !== undefined && (rec.statusCode < 400 || rec.error.kind === ErrorKinds.clientAborted)) return rec.error.kind.status;
  return rec.statusCode === 0 ? 500 : rec.statusCode;
}

export function severityOf(status: number, rec: RequestRecord): Severity {
  if (status >= 500) return 'error';
  if (rec.error !== undefined && rec.error.kind.side !== 'downstream' && rec.error.kind.status >= 500) return 'error';
  return status >= 400 ? 'warning' : 'info';
}

export function outcomeOf(status: number, rec: RequestRecord): Outcome {
  if (rec.error !== undefined) return rec.error.kind.outcome;
  return status >= 500 ? 'failure' : 'success';
}

/**
 * Builds the event from a finished record: the one place an event is made (Pingora's logging phase).
 * Only the named fields are copied; no header map is ever read here, so Authorization, Cookie or
 * Set-Cookie cannot leak into an event.
 */
export function buildRequestEvent(rec: RequestRecord, opts: RequestEventOptions): RequestEvent {
  const status = effectiveStatus(rec);
  const route = rec.route;
  const ep = rec.endpoint;
  const ns = route?.ingress.namespace;
  const traceId = rec.traceId ?? '';
  const spanId = rec.spanId ?? '';

  const entities: EventEntity[] = [];
  const keys: string[] = [`request_id:${rec.requestId}`, `trace_id:${traceId}`];
  const gatewayKind = route?.source !== undefined && route.source.kind !== 'Ingress' ? route.source.kind : undefined;
  if (route !== undefined) {
    const ingressId = `${ns}/${route.ingress.name}`;
    const serviceId = `${route.backend.namespace}/${route.backend.service}`;
    // The owning object's entity: `ingress`, or the Gateway API kind in lower case (httproute, grpcroute).
    const entity = gatewayKind === undefined ? 'ingress' : gatewayKind === 'HTTPRoute' ? 'httproute' : 'grpcroute';
    entities.push({ kind: entity, id: ingressId, name: route.ingress.name }, { kind: 'service', id: serviceId, name: route.backend.service });
    keys.push(`${entity}:${ingressId}`, `service:${serviceId}`);
  }
  if (ep !== undefined) {
    if (ep.pod !== undefined) {
      const podId = `${route?.backend.namespace ?? ''}/${ep.pod}`;
      entities.push({ kind: 'pod', id: ep.podUid ?? podId, name: ep.pod });
      keys.push(`pod:${podId}`);
      if (ep.podUid !== undefined) keys.push(`pod_uid:${ep.podUid}`);
    }
    keys.push(`pod_ip:${ep.ip}`);
  }

  return {
    id: opts.ids.next(),
    timestamp: opts.timestamps.format(rec.startedAt),
    source: 'rauta',
    type: 'http.request',
    protocol_version: '1.0',
    severity: severityOf(status, rec),
    outcome: outcomeOf(status, rec),
    error: rec.error === undefined ? undefined : { code: rec.error.kind.code, message: rec.error.message },
    context: {
      cluster: opts.cluster === '' ? undefined : opts.cluster,
      namespace: ns,
      node: opts.node === '' ? undefined : opts.node,
      trace_id: traceId,
      span_id: spanId,
      entities,
      correlation_keys: keys,
    },
    data: {
      request_id: rec.requestId,
      method: rec.method,
      scheme: rec.scheme,
      host: rec.host,
      path: opts.includeQuery && rec.query !== '' ? `${rec.path}?${rec.query}` : rec.path,
      protocol: rec.protocol,
      status_code: status,
      duration_ms: round3(rec.durationMs),
      upstream_duration_ms: rec.upstreamDurationMs === undefined ? undefined : round3(rec.upstreamDurationMs),
      bytes_in: rec.bytesIn,
      bytes_out: rec.bytesOut,
      client_ip: rec.clientIp,
      user_agent: rec.userAgent,
      route: route === undefined ? undefined : gatewayKind === undefined
        ? { ingress: route.ingress.name, host: route.host, path: route.path, path_type: route.pathType }
        : { ingress: route.ingress.name, host: route.host, path: route.path, path_type: route.pathType, kind: gatewayKind, rule: route.source?.rule },
      backend: route === undefined ? undefined : {
        service: route.backend.service,
        service_port: route.backend.servicePort,
        pod: ep?.pod,
        pod_ip: ep?.ip,
        pod_port: ep?.port,
        node: ep?.node,
        zone: ep?.zone,
      },
      attempts: rec.attempts,
    },
  };
}
