import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorKinds, ProxyError } from '../src/proxy/errors.ts';
import { type RequestRecord, newRecord } from '../src/proxy/request-record.ts';
import type { Route } from '../src/routing/types.ts';
import { type HandoffValue, type TraceFacts, pushFinished, readFinished } from '../src/telemetry/handoff.ts';
import { type RequestEvent, TimestampCache, buildRequestEvent } from '../src/telemetry/request-event.ts';
import { UlidGenerator } from '../src/telemetry/ulid.ts';

const route: Route = {
  ingress: { namespace: 'shop', name: 'api' }, host: 'shop.test', path: '/api', pathType: 'Prefix', tls: false,
  policy: { loadBalance: 'round-robin', retries: 0, protocol: 'http1', sslRedirect: false },
  backend: { id: 'shop/users:80', namespace: 'shop', service: 'users', servicePort: '80', endpoints: [] },
};
const endpoint = { key: '10.0.1.42:8080', ip: '10.0.1.42', port: 8080, ready: true, serving: true, terminating: false, weight: 1, pod: 'users-0', podUid: '7f1c2d9e-1111-2222-3333-444455556666', node: 'node-a', zone: 'eu-1a' };

function record(patch: Partial<RequestRecord>): RequestRecord {
  return Object.assign(newRecord(1_764_150_000_123, 0), {
    requestId: 'r-1', method: 'GET', host: 'shop.test:8080', path: '/api/users', query: 'token=x', clientIp: '10.0.0.7', userAgent: 'curl/8 ü',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', statusCode: 200, durationMs: 1.23456, bytesIn: 12, bytesOut: 345,
    protocol: 'HTTP/2', scheme: 'https',
  }, patch);
}

const cases: Record<string, Partial<RequestRecord>> = {
  proxied: { route, endpoint, attempts: 1, upstreamDurationMs: 1.1 },
  'no route': { statusCode: 404, error: new ProxyError(ErrorKinds.noRoute, 'no route') },
  'no endpoints': { route, statusCode: 503, error: new ProxyError(ErrorKinds.noEndpoints, 'none') },
  'upstream timeout': { route, endpoint, attempts: 2, statusCode: 504, error: new ProxyError(ErrorKinds.upstreamTimeout, 'slow') },
  'client abort before the response': { route, endpoint, attempts: 1, statusCode: 200, error: new ProxyError(ErrorKinds.clientAborted, 'gone') },
  'served by an HTTPRoute rule': { route: { ...route, pathType: 'RegularExpression', source: { kind: 'HTTPRoute', namespace: 'shop', name: 'api', rule: 'v2' } }, endpoint, attempts: 1 },
  'backend 500': { route, endpoint: { ...endpoint, pod: undefined, podUid: undefined, node: undefined, zone: undefined }, attempts: 1, statusCode: 500 },
  'malformed request (431)': { method: 'UNKNOWN', host: '', path: '', traceId: undefined, spanId: undefined, statusCode: 431, error: new ProxyError(ErrorKinds.headersTooLarge, 'big') },
};

const trace: TraceFacts = {
  parentSpanId: 'b7ad6b7169203331', parentFlags: 1, traceState: 'a=1', startEpochMs: 1_764_150_000_123.25,
  attempts: [
    { spanId: '1111111111111111', attempt: 1, ip: '10.0.1.42', port: 8080, pod: 'users-0', startMs: 1.5, endMs: 2.5, statusCode: null, errorCode: 'RAUTA_ERR_UPSTREAM_CONNECT', errorMessage: 'refused' },
    { spanId: '2222222222222222', attempt: 2, ip: '10.0.1.43', port: 8080, pod: null, startMs: 3, endMs: 4, statusCode: 200, errorCode: null, errorMessage: null },
  ],
};

const withoutId = ({ id: _id, ...rest }: RequestEvent) => rest;

describe('telemetry - handoff of finished requests to the telemetry thread', () => {
  for (const includeQuery of [false, true]) {
    it(`every kind of request gives the same event on both sides (includeQuery ${includeQuery})`, () => {
      const opts = { cluster: 'c1', node: 'n1', includeQuery, ids: new UlidGenerator(), timestamps: new TimestampCache() };
      const values: HandoffValue[] = [];
      const names = Object.keys(cases);
      names.forEach((name, i) => pushFinished(values, record(cases[name]), i % 2 === 0 ? trace : undefined));
      // Structured clone is what the batch goes through.
      const cloned = structuredClone(values);
      const seen: { event: RequestEvent; trace: TraceFacts | undefined }[] = [];
      assert.equal(readFinished(cloned, (rec, t) => seen.push({ event: buildRequestEvent(rec, opts), trace: t })), names.length);
      names.forEach((name, i) => {
        assert.deepEqual(withoutId(seen[i].event), withoutId(buildRequestEvent(record(cases[name]), opts)), name);
        assert.deepEqual(seen[i].trace, i % 2 === 0 ? trace : undefined, `${name}: trace facts`);
      });
    });
  }
});
