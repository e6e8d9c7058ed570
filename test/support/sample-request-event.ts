import { randomBytes } from 'node:crypto';
import type { RequestEvent } from '../../src/telemetry/request-event.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 48-bit millisecond time + 80 random bits, Crockford base32. */
function ulid(now: number): string {
  let out = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  for (const b of randomBytes(16)) out += CROCKFORD[b % 32];
  return out;
}

export interface SampleOptions {
  readonly namespace?: string;
  readonly ingress?: string | null;
  readonly service?: string | null;
  readonly pod?: string | null;
  readonly podIp?: string;
  readonly clientIp?: string;
  readonly status?: number;
  readonly durationMs?: number;
  readonly upstreamMs?: number;
  readonly errorCode?: string;
}

/**
 * A request event shaped exactly like the contract (schemas/request-event.v1.json; optional fields are
 * omitted, never null). The tests validate every sample against the schema.
 */
export function sampleRequestEvent(o: SampleOptions = {}): RequestEvent {
  const now = Date.now();
  const ns = o.namespace ?? 'default';
  const status = o.status ?? 200;
  const requestId = ulid(now).toLowerCase();
  const traceId = randomBytes(16).toString('hex');
  const podIp = o.podIp ?? '10.0.1.42';
  const failed = status >= 500 || o.errorCode !== undefined;
  const ingress = o.ingress === undefined ? 'web' : o.ingress;
  const service = o.service === undefined ? 'web' : o.service;
  const pod = o.pod === undefined ? 'web-7d4b9-abcde' : o.pod;
  return {
    id: ulid(now),
    timestamp: new Date(now).toISOString(),
    source: 'rauta',
    type: 'http.request',
    protocol_version: '1.0',
    severity: status >= 500 || failed ? 'error' : status >= 400 ? 'warning' : 'info',
    outcome: o.errorCode === 'RAUTA_ERR_UPSTREAM_TIMEOUT' ? 'timeout' : failed ? 'failure' : 'success',
    ...(o.errorCode ? { error: { code: o.errorCode, message: 'upstream failed' } } : {}),
    context: {
      cluster: 'test-cluster',
      namespace: ns,
      node: 'node-a',
      trace_id: traceId,
      span_id: randomBytes(8).toString('hex'),
      entities: [
        ...(ingress ? [{ kind: 'ingress' as const, id: `${ns}/${ingress}`, name: ingress }] : []),
        ...(service ? [{ kind: 'service' as const, id: `${ns}/${service}`, name: service }] : []),
        ...(pod ? [{ kind: 'pod' as const, id: `${ns}/${pod}`, name: pod }] : []),
      ],
      correlation_keys: [`request_id:${requestId}`, `trace_id:${traceId}`, ...(pod ? [`pod_ip:${podIp}`] : [])],
    },
    data: {
      request_id: requestId,
      method: 'GET',
      scheme: 'http',
      host: 'web.test',
      path: '/',
      protocol: 'HTTP/1.1',
      status_code: status,
      duration_ms: o.durationMs ?? 12.5,
      ...(pod ? { upstream_duration_ms: o.upstreamMs ?? 10 } : {}),
      bytes_in: 0,
      bytes_out: 42,
      client_ip: o.clientIp ?? '192.0.2.10',
      user_agent: 'test',
      ...(ingress ? { route: { ingress, host: 'web.test', path: '/', path_type: 'Prefix' } } : {}),
      ...(service ? { backend: { service, service_port: '80', ...(pod ? { pod, pod_ip: podIp, pod_port: 8080, node: 'node-b' } : {}) } } : {}),
      attempts: pod ? 1 : 0,
    },
  };
}
