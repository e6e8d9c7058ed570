import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthState } from '../src/proxy/health/types.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import type { Backend } from '../src/routing/types.ts';
import { serviceEndpoints } from '../src/telemetry/backend-endpoints.ts';
import { Metrics } from '../src/telemetry/sinks/metrics.ts';
import { endpoint } from './support/endpoints.ts';

function backend(namespace: string, service: string, servicePort: string, eps: Backend['endpoints'], unavailable?: Backend['unavailable']): Backend {
  return { id: `${namespace}/${service}:${servicePort}`, namespace, service, servicePort, endpoints: eps, unavailable };
}

describe('telemetry - ready and ejected endpoints per Service', () => {
  it('one row per Service: ready ip:port endpoints counted once across its backends, not-ready ones left out, ejected and unhealthy both counted as ejected', () => {
    const table = new RouteTable({
      routes: [],
      backends: [
        backend('shop', 'cart', '80', [endpoint('10.0.0.1'), endpoint('10.0.0.2'), endpoint('10.0.0.3', 8080, { ready: false })]),
        // A second service port of the same Service: its endpoints are further ip:port keys.
        backend('shop', 'cart', 'metrics', [endpoint('10.0.0.1', 9090), endpoint('10.0.0.2')]),
        backend('shop', 'missing', '80', [], { reason: 'ServiceNotFound', message: 'no such Service' }),
      ],
      diagnostics: [], certificates: [], ingresses: [],
    });
    const states: Record<string, HealthState> = { '10.0.0.1:8080': 'ejected', '10.0.0.1:9090': 'unhealthy', '10.0.0.3:8080': 'ejected' };
    const rows = serviceEndpoints(table, { state: (key) => states[key] ?? 'healthy' });
    assert.deepEqual(rows, [
      { namespace: 'shop', service: 'cart', ready: 3, ejected: 2 },
      { namespace: 'shop', service: 'missing', ready: 0, ejected: 0 },
    ]);
  });

  it('an empty table has no rows', () => {
    assert.deepEqual(serviceEndpoints(RouteTable.empty(), { state: () => 'healthy' }), []);
  });
});

describe('telemetry - TLS handshake failure reasons stay a bounded label set', () => {
  it('an unknown reason is counted as other', async () => {
    const metrics = new Metrics();
    metrics.tlsHandshakeFailed('timeout');
    metrics.tlsHandshakeFailed('something-new');
    const json = await metrics.registry.getSingleMetric('rauta_tls_handshake_failures_total')?.get();
    const byReason = Object.fromEntries((json?.values ?? []).map((v) => [String(v.labels.reason), v.value]));
    assert.deepEqual(byReason, { protocol_version: 0, no_shared_cipher: 0, plain_http: 0, timeout: 1, reset: 0, other: 1 });
  });
});
