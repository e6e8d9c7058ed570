/**
 * Maglev numbers: balance, disruption when one endpoint leaves, table build time and lookup cost.
 * Run directly (`./node_modules/.bin/node bench/maglev.ts`) or import `benchMaglev()` from the bench
 * runner. Timings are medians of several runs on this machine; the balance and disruption numbers are
 * exact properties of the table.
 */
import { hash32 } from '../src/proxy/balance/hash.ts';
import { DEFAULT_MAGLEV_TABLE_SIZE, MaglevSelector, MaglevTable } from '../src/proxy/balance/maglev.ts';
import type { PickInput } from '../src/proxy/balance/selector.ts';
import type { Endpoint } from '../src/routing/types.ts';

export interface MaglevBenchResult {
  readonly tableSize: number;
  /** Max/min slots per endpoint. */
  readonly balance: Record<string, number>;
  /** One of N endpoints leaves: fraction of slots that moved, and ε = moved − 1/N. */
  readonly disruption: Record<string, { moved: number; idealMoved: number; epsilon: number }>;
  /** Median table build time, ms. */
  readonly buildMs: Record<string, number>;
  /** Hash of a key plus the table lookup (health predicate always true), ns per lookup. */
  readonly lookupNs: number;
  /** Full MaglevSelector.pick from a header key, ns per pick. */
  readonly pickNs: number;
}

function endpoints(n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 8080, ready: true, serving: true, terminating: false, weight: 1,
  }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

function balanceOf(n: number, size: number): number {
  const counts = MaglevTable.build(endpoints(n), size).slotCounts();
  return round(Math.max(...counts) / Math.min(...counts));
}

function disruptionOf(n: number, size: number) {
  const eps = endpoints(n);
  const before = MaglevTable.build(eps, size).ownerKeys();
  const after = MaglevTable.build(eps.filter((_, i) => i !== Math.floor(n / 3)), size).ownerKeys();
  let moved = 0;
  for (let i = 0; i < size; i++) if (before[i] !== after[i]) moved++;
  const fraction = moved / size;
  return { moved: round(fraction), idealMoved: round(1 / n), epsilon: round(fraction - 1 / n) };
}

function buildMs(n: number, size: number, runs: number): number {
  const eps = endpoints(n);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    MaglevTable.build(eps, size);
    times.push(performance.now() - t);
  }
  return round(median(times), 2);
}

function lookupNs(size: number): { lookupNs: number; pickNs: number } {
  const table = MaglevTable.build(endpoints(100), size);
  const keys = Array.from({ length: 4096 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.7`);
  const usable = () => true;
  const iterations = 2_000_000;
  let sink = 0;
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += table.lookup(hash32(keys[i & 4095]), usable)!.port;
    times.push(Number(process.hrtime.bigint() - t) / iterations);
  }
  const selector = new MaglevSelector(table, { kind: 'header', name: 'x-user' });
  const inputs: PickInput[] = keys.map((k) => ({ clientIp: '127.0.0.1', path: '/', headers: { 'x-user': k } }));
  const pickTimes: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += selector.pick(inputs[i & 4095], usable)!.port;
    pickTimes.push(Number(process.hrtime.bigint() - t) / iterations);
  }
  if (sink === 42) process.stdout.write('');
  return { lookupNs: round(median(times), 1), pickNs: round(median(pickTimes), 1) };
}

export async function benchMaglev(size = DEFAULT_MAGLEV_TABLE_SIZE): Promise<MaglevBenchResult> {
  return {
    tableSize: size,
    balance: { '10': balanceOf(10, size), '100': balanceOf(100, size), '1000': balanceOf(1000, size) },
    disruption: { '10': disruptionOf(10, size), '100': disruptionOf(100, size), '1000': disruptionOf(1000, size) },
    buildMs: { '10': buildMs(10, size, 9), '100': buildMs(100, size, 9), '1000': buildMs(1000, size, 5) },
    ...lookupNs(size),
  };
}

if (import.meta.main) {
  const result = await benchMaglev();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
