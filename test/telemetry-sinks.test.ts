import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRecord } from '../src/proxy/request-record.ts';
import { EventBus } from '../src/telemetry/bus.ts';
import { TimestampCache, buildRequestEvent } from '../src/telemetry/request-event.ts';
import type { EventSink } from '../src/telemetry/sink.ts';
import { AccessLogSink } from '../src/telemetry/sinks/access-log.ts';
import { samplerFrom } from '../src/telemetry/sinks/otlp-sampler.ts';
import { parseResourceAttributes, tracesUrl } from '../src/telemetry/sinks/otlp-setup.ts';
import { UlidGenerator } from '../src/telemetry/ulid.ts';

const opts = { cluster: '', node: '', includeQuery: false, ids: new UlidGenerator(), timestamps: new TimestampCache() };
function event(path: string) {
  return buildRequestEvent(Object.assign(newRecord(Date.now(), 0), {
    requestId: `r-${path}`, method: 'GET', host: 'h.test', path, statusCode: 200, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16),
  }), opts);
}

function countingBus(queueSize: number) {
  const counts: Record<string, { published: number; dropped: number }> = {};
  const bus = new EventBus({
    queueSize,
    serialize: (e) => JSON.stringify(e),
    counters: (s) => {
      counts[s] ??= { published: 0, dropped: 0 };
      return { published: (n = 1) => { counts[s].published += n; }, dropped: (n = 1) => { counts[s].dropped += n; } };
    },
  });
  return { bus, counts };
}

describe('telemetry sinks - the bus', () => {
  it('delivers on the next turn, never inside publish, and serializes each event once', async () => {
    const seen: string[][] = [[], []];
    let serialized = 0;
    const busWithCount = new EventBus({ queueSize: 10, serialize: (e) => { serialized++; return JSON.stringify(e); }, counters: () => ({ published() {}, dropped() {} }) });
    for (const [i, name] of ['a', 'b'].entries()) busWithCount.add({ name, write: (_e, json) => { seen[i].push(json); } });
    busWithCount.publish(event('/1'));
    assert.deepEqual(seen, [[], []], 'nothing written synchronously');
    await new Promise((r) => setImmediate(r));
    assert.equal(seen[0].length, 1);
    assert.equal(seen[0][0], seen[1][0]);
    assert.equal(serialized, 1);
    await busWithCount.close();
  });

  it('drops and counts per sink when a queue is full; a throwing sink does not hurt the others', async () => {
    const { bus, counts } = countingBus(3);
    const good: string[] = [];
    bus.add({ name: 'good', write: (e) => { good.push(e.data.path); } });
    const bad: EventSink = { name: 'bad', write: () => { throw new Error('sink bug'); } };
    bus.add(bad);
    for (let i = 0; i < 5; i++) bus.publish(event(`/${i}`));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(good, ['/0', '/1', '/2']);
    assert.equal(counts.good.dropped, 2);
    assert.equal(counts.bad.dropped, 2 + 3);
  });
});

describe('telemetry sinks - access log', () => {
  it('writes one JSON line per request with the named fields only', async () => {
    const lines: string[] = [];
    let published = 0;
    const sink = new AccessLogSink({ write: (s: string) => { lines.push(s); } }, { published: () => { published++; }, dropped() {} });
    sink.write(event('/hello'));
    await sink.close();
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.equal(line.log, 'access');
    assert.equal(line.path, '/hello');
    assert.equal(line.status, 200);
    assert.equal(line.request_id, 'r-/hello');
    assert.equal(published, 1);
  });
});

describe('telemetry sinks - OTLP settings', () => {
  const s = { endpoint: undefined, tracesEndpoint: undefined, protocol: 'http/protobuf' as const, tracesProtocol: undefined, serviceName: 'rauta', sampler: 'parentbased_always_on', samplerArg: undefined, resourceAttributes: undefined, scheduleDelayMs: 5000, maxQueueSize: 2048, exportTimeoutMs: 10000 };

  it('is off without an endpoint and appends /v1/traces to the base endpoint only', () => {
    assert.equal(tracesUrl(s), undefined);
    assert.equal(tracesUrl({ ...s, endpoint: 'http://c:4318/' }), 'http://c:4318/v1/traces');
    assert.equal(tracesUrl({ ...s, endpoint: 'http://c:4318', tracesEndpoint: 'http://t:9/custom' }), 'http://t:9/custom');
  });

  it('builds the OTEL_TRACES_SAMPLER samplers and rejects bad ones', () => {
    assert.match(samplerFrom('always_off', undefined).toString(), /AlwaysOff/);
    assert.match(samplerFrom('traceidratio', '0.25').toString(), /0\.25/);
    assert.match(samplerFrom('parentbased_traceidratio', '0.5').toString(), /ParentBased.*0\.5/);
    assert.throws(() => samplerFrom('traceidratio', '2'), /ratio/);
    assert.throws(() => samplerFrom('jaeger_remote', undefined), /not supported/);
  });

  it('parses OTEL_RESOURCE_ATTRIBUTES with percent-encoding', () => {
    assert.deepEqual(parseResourceAttributes('a=1, b = x%20y ,bad,=z'), { a: '1', b: 'x y' });
    assert.deepEqual(parseResourceAttributes(undefined), {});
  });
});
