import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ErrorKinds, ProxyError } from '../src/proxy/errors.ts';
import { type RequestRecord, newRecord } from '../src/proxy/request-record.ts';
import type { Route } from '../src/routing/types.ts';
import { TimestampCache, buildRequestEvent } from '../src/telemetry/request-event.ts';
import { compileRequestEventSerializer } from '../src/telemetry/serialize.ts';
import { UlidGenerator } from '../src/telemetry/ulid.ts';
import { assertValidEvent } from './support/event-schema.ts';

const route: Route = {
  ingress: { namespace: 'shop', name: 'api' }, host: 'shop.test', path: '/api', pathType: 'Prefix', tls: false,
  policy: { loadBalance: 'round-robin', retries: 0, protocol: 'http1', sslRedirect: false },
  backend: { id: 'shop/users:80', namespace: 'shop', service: 'users', servicePort: '80', endpoints: [] },
};
const endpoint = { key: '10.0.1.42:8080', ip: '10.0.1.42', port: 8080, ready: true, serving: true, terminating: false, weight: 1, pod: 'users-0', podUid: '7f1c2d9e-1111-2222-3333-444455556666' };

function record(patch: Partial<RequestRecord>): RequestRecord {
  return Object.assign(newRecord(1_764_150_000_123, 0), {
    requestId: 'r-1', method: 'GET', host: 'shop.test', path: '/api/users', query: 'token=x', clientIp: '10.0.0.7',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', statusCode: 200, durationMs: 1.23456,
  }, patch);
}

describe('telemetry contract - built events match schemas/request-event.v1.json', () => {
  const opts = { cluster: '', node: '', includeQuery: false, ids: new UlidGenerator(), timestamps: new TimestampCache() };
  const serialize = compileRequestEventSerializer();
  const cases: Record<string, Partial<RequestRecord>> = {
    proxied: { route, endpoint, attempts: 1, upstreamDurationMs: 1.1, bytesOut: 10 },
    'no route': { statusCode: 404, error: new ProxyError(ErrorKinds.noRoute, 'no route') },
    'no endpoints': { route, statusCode: 503, error: new ProxyError(ErrorKinds.noEndpoints, 'none') },
    'upstream timeout': { route, endpoint, attempts: 2, statusCode: 504, error: new ProxyError(ErrorKinds.upstreamTimeout, 'slow') },
    'client abort before the response': { route, endpoint, attempts: 1, statusCode: 200, error: new ProxyError(ErrorKinds.clientAborted, 'gone') },
    'backend 500': { route, endpoint, attempts: 1, statusCode: 500 },
    'malformed request (431)': { method: 'UNKNOWN', host: '', path: '', statusCode: 431, error: new ProxyError(ErrorKinds.headersTooLarge, 'big') },
  };
  for (const [name, patch] of Object.entries(cases)) {
    it(`${name}: valid, and the compiled serializer writes the same JSON as JSON.stringify`, () => {
      const event = buildRequestEvent(record(patch), opts);
      const json = serialize(event);
      assertValidEvent('request', JSON.parse(json));
      assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(event)));
    });
  }

  it('derives severity, outcome and status as documented', () => {
    const ev = (p: Partial<RequestRecord>) => buildRequestEvent(record(p), opts);
    assert.deepEqual([ev(cases['backend 500']).severity, ev(cases['backend 500']).outcome], ['error', 'failure']);
    assert.deepEqual([ev(cases['upstream timeout']).severity, ev(cases['upstream timeout']).outcome, ev(cases['upstream timeout']).error?.code], ['error', 'timeout', 'RAUTA_ERR_UPSTREAM_TIMEOUT']);
    assert.equal(ev(cases['client abort before the response']).data.status_code, 499);
    assert.equal(ev(cases['client abort before the response']).severity, 'warning');
    assert.equal(ev(cases['no route']).severity, 'warning');
    assert.equal(ev(cases.proxied).timestamp, '2025-11-26T09:40:00.123Z');
    assert.equal(ev(cases.proxied).data.duration_ms, 1.235);
    assert.equal(ev(cases.proxied).context.entities[2].id, endpoint.podUid);
    assert.equal(ev(cases.proxied).data.path, '/api/users');
    assert.equal(buildRequestEvent(record(cases.proxied), { ...opts, includeQuery: true }).data.path, '/api/users?token=x');
  });

  it('the serializer writes no property the schema does not declare', () => {
    const event = buildRequestEvent(record(cases.proxied), opts);
    const polluted = {
      ...event, authorization: 'Bearer x', data: { ...event.data, cookie: 'a=b', method: { secret: 'in a scalar field' } },
      context: { ...event.context, entities: event.context.entities.map((e) => ({ ...e, token: 'tok-1' })) },
    };
    assert.doesNotMatch(serialize(polluted as unknown as typeof event), /Bearer|cookie|tok-1|in a scalar field/);
  });

  it('the example event in docs/events.md is valid', () => {
    const readme = readFileSync(new URL('../docs/events.md', import.meta.url), 'utf8');
    const m = /<!-- example: request-event -->\n```json\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(m, 'docs/events.md example block');
    assertValidEvent('request', JSON.parse(m[1]));
  });
});
