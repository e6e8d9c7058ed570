import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TraceIdSource, formatTraceparent, parseTraceparent } from '../src/telemetry/trace-context.ts';
import { UlidGenerator } from '../src/telemetry/ulid.ts';

describe('telemetry ids - ULID generator', () => {
  it('makes 26-character Crockford ULIDs whose time prefix encodes the clock', () => {
    const ids = new UlidGenerator(() => 1_700_000_000_000);
    const id = ids.next();
    assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    // 1_700_000_000_000 in Crockford base32, 10 characters.
    assert.equal(id.slice(0, 10), '01HF7YAT00');
  });

  it('stays strictly increasing within one millisecond and when the clock steps back', () => {
    let now = 1_700_000_000_000;
    const ids = new UlidGenerator(() => now);
    const out: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i === 2500) now -= 10;
      out.push(ids.next());
    }
    for (let i = 1; i < out.length; i++) assert.ok(out[i - 1] < out[i], `${out[i - 1]} < ${out[i]}`);
    assert.equal(new Set(out).size, out.length);
  });

  it('does not share state between instances', () => {
    const a = new UlidGenerator(() => 1);
    const b = new UlidGenerator(() => 1);
    a.next();
    const fromB = b.next();
    assert.notEqual(a.next().slice(10), fromB.slice(10));
  });
});

describe('telemetry ids - W3C trace context', () => {
  it('parses a valid traceparent with tracestate', () => {
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', ['a=1', 'b=2']), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1, traceState: 'a=1,b=2',
    });
  });

  it('ignores invalid ones as the spec requires', () => {
    for (const bad of [
      undefined, '', 'garbage', ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    ]) assert.equal(parseTraceparent(bad, undefined), undefined, String(bad));
    // A future version may carry more fields.
    assert.equal(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', undefined)?.flags, 1);
  });

  it('formats traceparent and draws fresh ids', () => {
    assert.equal(formatTraceparent('a'.repeat(32), 'b'.repeat(16), 1), `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    assert.equal(formatTraceparent('a'.repeat(32), 'b'.repeat(16), 0), `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`);
    const src = new TraceIdSource();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = src.traceId();
      assert.match(t, /^[0-9a-f]{32}$/);
      assert.match(src.spanId(), /^[0-9a-f]{16}$/);
      ids.add(t);
    }
    assert.equal(ids.size, 1000);
  });
});
