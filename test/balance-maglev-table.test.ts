import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.ts';
import { hash32, hash64 } from '../src/proxy/balance/hash.ts';
import { MaglevSelector, MaglevTable, MaglevTableSizeError, hashKey } from '../src/proxy/balance/maglev.ts';
import type { PickInput } from '../src/proxy/balance/selector.ts';
import { endpoint, endpoints } from './support/endpoints.ts';

const M = 65_537;
const keys = (n: number) => Array.from({ length: n }, (_, i) => hash32(`client-${i}`));

describe('maglev - lookup table', () => {
  it('is balanced: max/min slots per endpoint ≤ 1.01 at 100 endpoints, M = 65537', () => {
    const counts = MaglevTable.build(endpoints(100), M).slotCounts();
    assert.equal(counts.length, 100);
    assert.equal(counts.reduce((a, b) => a + b, 0), M);
    const ratio = Math.max(...counts) / Math.min(...counts);
    assert.ok(ratio <= 1.01, `max/min = ${ratio}`);
  });

  it('is deterministic: two builds, and any input order, give the same table', () => {
    const eps = endpoints(50);
    const a = MaglevTable.build(eps, M).ownerKeys();
    const b = MaglevTable.build(eps, M).ownerKeys();
    const shuffled = [...eps].reverse();
    shuffled.push(shuffled.shift()!);
    const c = MaglevTable.build(shuffled, M).ownerKeys();
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
  });

  it('hashes are fixed values (same in every process and replica)', () => {
    // Pinned: if these change, every Maglev key moves to another pod after an upgrade.
    assert.equal(hash32('10.0.0.1'), 2_931_590_574);
    assert.equal(hash64('10.0.0.1:8080', 1n), 0x3e75d4f5491e1c2an);
    assert.notEqual(hash64('10.0.0.1:8080', 1n), hash64('10.0.0.1:8080', 2n));
    const owner = MaglevTable.build(endpoints(10), M).owner(hash32('client-42'));
    assert.equal(owner?.key, MaglevTable.build(endpoints(10).reverse(), M).owner(hash32('client-42'))?.key);
  });

  it('disrupts minimally: when one of N endpoints leaves, ≤ 1/N + 0.02 of the slots move', () => {
    for (const n of [10, 100]) {
      const eps = endpoints(n);
      const before = MaglevTable.build(eps, M).ownerKeys();
      const gone = eps[Math.floor(n / 3)].key;
      const after = MaglevTable.build(eps.filter((e) => e.key !== gone), M).ownerKeys();
      let moved = 0;
      let movedOthers = 0;
      for (let i = 0; i < M; i++) {
        if (before[i] === after[i]) continue;
        moved++;
        if (before[i] !== gone) movedOthers++;
      }
      const fraction = moved / M;
      const epsilon = movedOthers / M;
      process.stdout.write(`# maglev disruption N=${n}: moved ${(fraction * 100).toFixed(2)}% (1/N = ${(100 / n).toFixed(2)}%, ε = ${(epsilon * 100).toFixed(2)}%)\n`);
      assert.ok(fraction <= 1 / n + 0.02, `moved ${fraction} with N=${n}`);
      assert.ok(fraction >= 1 / n - 0.01, `the leaving endpoint's slots must move (moved ${fraction})`);
    }
  });

  it('respects weights: an endpoint of weight 2 owns twice the slots', () => {
    const eps = [endpoint('10.0.0.1', 80, { weight: 2 }), endpoint('10.0.0.2'), endpoint('10.0.0.3')];
    const table = MaglevTable.build(eps, M);
    const counts = new Map(table.endpoints.map((e, i) => [e.key, table.slotCounts()[i]]));
    const heavy = counts.get('10.0.0.1:80')!;
    const light = counts.get('10.0.0.2:8080')!;
    assert.ok(Math.abs(heavy / light - 2) < 0.02, `heavy/light = ${heavy / light}`);
  });

  it('rejects a table size that is not prime, and the setting validates it', () => {
    assert.throws(() => MaglevTable.build(endpoints(3), 65_536), MaglevTableSizeError);
    assert.throws(() => loadConfig([], { RAUTA_MAGLEV_TABLE_SIZE: '65536' }), /RAUTA_MAGLEV_TABLE_SIZE: expected a prime/);
    assert.equal(loadConfig([], { RAUTA_MAGLEV_TABLE_SIZE: '131071' }).config.maglevTableSize, 131_071);
    assert.equal(loadConfig([], {}).config.maglevTableSize, 65_537);
  });

  it('has no endpoints → picks nothing', () => {
    assert.equal(MaglevTable.build([], M).lookup(123, () => true), undefined);
  });
});

describe('maglev - health walk', () => {
  it('moves only the keys of the ejected endpoint, and spreads them over the others', () => {
    const eps = endpoints(10);
    const table = MaglevTable.build(eps, M);
    const ejected = eps[4].key;
    const all = () => true;
    const healthy = (e: { key: string }) => e.key !== ejected;
    const moved = new Map<string, number>();
    let orphans = 0;
    for (const k of keys(20_000)) {
      const before = table.lookup(k, all)!;
      const after = table.lookup(k, healthy)!;
      assert.notEqual(after.key, ejected);
      if (before.key !== ejected) assert.equal(after.key, before.key, 'a key of a healthy endpoint moved');
      else {
        orphans++;
        moved.set(after.key, (moved.get(after.key) ?? 0) + 1);
      }
      // Restoring health restores the original owner: the table never changed.
      assert.equal(table.lookup(k, all)!.key, before.key);
    }
    assert.ok(orphans > 1000, `orphans ${orphans}`);
    assert.equal(moved.size, 9, 'orphaned keys spread over every other endpoint');
    assert.ok(Math.max(...moved.values()) < orphans * 0.25, `no endpoint takes most orphans: ${[...moved.values()]}`);
  });

  it('finds the one usable endpoint even when the walk is long', () => {
    const eps = endpoints(1000);
    const table = MaglevTable.build(eps, M);
    const only = eps[777].key;
    for (const k of keys(200)) assert.equal(table.lookup(k, (e) => e.key === only)?.key, only);
    assert.equal(table.lookup(5, () => false), undefined);
  });
});

describe('maglev - hash keys', () => {
  const input = (headers: PickInput['headers'], clientIp = '10.9.9.9', path = '/a'): PickInput => ({ clientIp, path, headers });

  it('reads client-ip, path, header and cookie; falls back to the client IP when missing', () => {
    assert.equal(hashKey({ kind: 'client-ip' }, input({})), '10.9.9.9');
    assert.equal(hashKey({ kind: 'path' }, input({}, '1.1.1.1', '/cart')), '/cart');
    assert.equal(hashKey({ kind: 'header', name: 'x-user' }, input({ 'x-user': 'alice' })), 'alice');
    assert.equal(hashKey({ kind: 'header', name: 'x-user' }, input({})), '10.9.9.9');
    assert.equal(hashKey({ kind: 'cookie', name: 'sid' }, input({ cookie: 'a=1; sid=abc; b=2' })), 'abc');
    assert.equal(hashKey({ kind: 'cookie', name: 'sid' }, input({ cookie: 'a=1; xsid=zzz' })), '10.9.9.9');
  });

  it('a selector sends one key to one endpoint', () => {
    const sel = new MaglevSelector(MaglevTable.build(endpoints(10), M), { kind: 'header', name: 'x-user' });
    for (const user of ['alice', 'bob', 'carol']) {
      const first = sel.pick(input({ 'x-user': user }), () => true)!.key;
      for (let i = 0; i < 20; i++) assert.equal(sel.pick(input({ 'x-user': user }, `10.0.0.${i}`), () => true)!.key, first);
    }
  });
});
