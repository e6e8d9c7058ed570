import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { HealthState } from '../src/proxy/health/types.ts';
import { ControlEventBuilder } from '../src/telemetry/control-events.ts';
import { backendChangeOf } from '../src/telemetry/health-bridge.ts';
import { Metrics } from '../src/telemetry/sinks/metrics.ts';
import { UlidGenerator } from '../src/telemetry/ulid.ts';
import { assertValidEvent } from './support/event-schema.ts';

// One set of words for an endpoint's health wherever it appears: healthy, ejected (passive outlier
// detection), unhealthy (active probes) — in /backends and the log (HealthState), the metrics' state
// label, the web UI, and rauta.backends events.

const STATES: readonly HealthState[] = ['healthy', 'ejected', 'unhealthy'];

describe('health - one vocabulary across events, metrics, schema and web UI', () => {
  const builder = new ControlEventBuilder(new UlidGenerator(), { cluster: 'c1', node: 'n1' });
  const change = (oldState: HealthState, newState: HealthState) => backendChangeOf({
    endpoint: '127.0.0.5:8080', namespace: 'shop', service: 'web', pod: 'web-0', oldState, newState, reason: 'test', at: new Date().toISOString(),
  });

  it('rauta.backends events carry the state health entered and left, word for word, and validate', () => {
    for (const from of STATES) {
      for (const to of STATES) {
        if (from === to) continue;
        const c = change(from, to);
        assert.equal(c.previous, from);
        assert.equal(c.current, to);
        const decided = to === 'healthy' ? from : to;
        assert.equal(c.check, decided === 'ejected' ? 'passive' : 'active', `${from} → ${to}`);
        const event = builder.backendChange(c);
        assertValidEvent('backend', event);
        assert.equal(event.protocol_version, '1.1');
        assert.equal(event.severity, to === 'healthy' ? 'info' : 'warning');
        assert.equal((event.data as { current: string }).current, to);
      }
    }
  });

  it('the backend event schema, the metrics\' state label and the web UI use exactly these words', async () => {
    const schema = JSON.parse(readFileSync(new URL('../schemas/backend-event.v1.json', import.meta.url), 'utf8')) as { properties: { data: { properties: { current: { enum: string[] }; previous: { enum: string[] } } } } };
    assert.deepEqual(schema.properties.data.properties.current.enum, [...STATES]);
    assert.deepEqual(schema.properties.data.properties.previous.enum, ['unknown', ...STATES]);

    const metrics = new Metrics();
    for (const s of STATES) metrics.healthTransition('shop', 'web', s);
    const text = await metrics.registry.metrics();
    for (const s of STATES) assert.match(text, new RegExp(`^rauta_backend_health_transitions_total\\{namespace="shop",service="web",state="${s}"\\} 1$`, 'm'));

    const ui = readFileSync(new URL('../src/admin/ui/views.js', import.meta.url), 'utf8');
    for (const s of STATES) assert.ok(ui.includes(`'${s}'`), `the web UI knows '${s}'`);
    assert.doesNotMatch(ui, /'down'|'failed'|'dead'|'out'/, 'no other health words in the web UI');
  });
});
