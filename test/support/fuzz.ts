import type { Parameters } from 'fast-check';

/**
 * Shared settings of the property-based tests. In `npm test` every property runs with a fixed seed and
 * a small budget (runs and seconds), so it is reproducible and quick; a longer hunt is one env var away:
 *
 *   RAUTA_FUZZ_RUNS=20000 RAUTA_FUZZ_SECONDS=600 RAUTA_FUZZ_SEED=random npm test
 *
 * RAUTA_FUZZ_RUNS    runs per property (default: the property's own small number)
 * RAUTA_FUZZ_SECONDS time limit per property; when it is reached the property stops and passes with the
 *                    runs done so far (default 5)
 * RAUTA_FUZZ_SEED    an integer, or `random` (fast-check prints the seed and path of any failure so it can
 *                    be replayed); default a fixed seed
 */
const DEFAULT_SEED = 20261203;

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

export function fuzzSeed(): number {
  const raw = process.env.RAUTA_FUZZ_SEED;
  if (raw === 'random') return Math.floor(Math.random() * 2 ** 31);
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`RAUTA_FUZZ_SEED must be an integer or "random", got "${raw}"`);
    return n;
  }
  return DEFAULT_SEED;
}

/** Runs for a property whose default budget is `base`. */
export function fuzzRuns(base: number): number {
  return Math.floor(envNumber('RAUTA_FUZZ_RUNS') ?? base);
}

/** Time budget per property, in milliseconds. */
export function fuzzMillis(): number {
  return (envNumber('RAUTA_FUZZ_SECONDS') ?? 5) * 1000;
}

/** fast-check parameters: seeded, `base` runs, stopped (as a pass) at the time budget. */
export function fuzzOptions<T>(base: number): Parameters<T> {
  return { seed: fuzzSeed(), numRuns: fuzzRuns(base), interruptAfterTimeLimit: fuzzMillis(), markInterruptAsFailure: false };
}
