import type { Endpoint, HashBy } from '../../routing/types.ts';
import { isPrime } from '../../config/setting.ts';
import { hash32, hash64 } from './hash.ts';
import type { PickInput, Selector, Usable } from './selector.ts';
import { RautaError } from '../../errors.ts';

/** The paper's default size for small deployments: prime, and ≥ 100 × the endpoints we expect. */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65_537;

// Two fixed seeds make offset and skip two independent hashes of the endpoint identity. They are part
// of the wire behaviour: changing them moves every key, so never do it casually.
const OFFSET_SEED = 0x6d61676c65762d6fn; // "maglev-o"
const SKIP_SEED = 0x6d61676c65762d73n; // "maglev-s"

export class MaglevTableSizeError extends RautaError {
  constructor(size: number) {
    super('RAUTA_ERR_MAGLEV_TABLE_SIZE', `Maglev table size must be a prime ≥ 3, got ${size}`);
  }
}

/**
 * The Maglev lookup table (Eisenbud et al., NSDI 2016, section 3.4). Each endpoint has a preference
 * list, the permutation `(offset + j × skip) mod M` with offset and skip from two hashes of `ip:port`;
 * endpoints take turns claiming their next preferred empty slot until all M slots are filled. When
 * endpoint weights differ (`Endpoint.weight`, 1 unless translation sets one) an endpoint takes a turn
 * only every maxWeight/weight rounds, as Envoy's Maglev does. The result depends only on the set of (key, weight): input order and process do not matter.
 *
 * Built once per endpoint set, off the request path; a lookup is one hash and one array read.
 */
export class MaglevTable {
  readonly size: number;
  /** Sorted by key, deduplicated: the index space of `entries`. */
  readonly endpoints: readonly Endpoint[];
  /** Endpoint index per slot; 16-bit while there are fewer than 65,535 endpoints (half the memory). */
  private readonly entries: Uint16Array | Uint32Array;

  private constructor(size: number, endpoints: readonly Endpoint[], entries: Uint16Array | Uint32Array) {
    this.size = size;
    this.endpoints = endpoints;
    this.entries = entries;
  }

  static build(input: readonly Endpoint[], size: number = DEFAULT_MAGLEV_TABLE_SIZE): MaglevTable {
    if (!isPrime(size) || size < 3) throw new MaglevTableSizeError(size);
    const endpoints = canonical(input);
    const n = endpoints.length;
    if (n === 0) return new MaglevTable(size, endpoints, new Uint16Array(0));
    const wide = n >= 0xffff;
    const entries = wide ? new Uint32Array(size) : new Uint16Array(size);
    const FREE = wide ? 0xffffffff : 0xffff;

    const m = BigInt(size);
    const next = new Float64Array(n); // the slot each endpoint tries next (its permutation cursor)
    const skip = new Float64Array(n);
    const weight = new Float64Array(n);
    const target = new Float64Array(n);
    let maxWeight = 0;
    for (let i = 0; i < n; i++) {
      const id = endpoints[i].key;
      next[i] = Number(hash64(id, OFFSET_SEED) % m);
      skip[i] = Number(hash64(id, SKIP_SEED) % (m - 1n)) + 1;
      weight[i] = endpoints[i].weight;
      if (weight[i] > maxWeight) maxWeight = weight[i];
    }
    entries.fill(FREE);
    let filled = 0;
    for (let round = 1; filled < size; round++) {
      for (let i = 0; i < n && filled < size; i++) {
        // An endpoint of weight w takes a turn in w/maxWeight of the rounds (all of them when equal).
        if (round * weight[i] < target[i]) continue;
        target[i] += maxWeight;
        let c = next[i];
        while (entries[c] !== FREE) {
          c += skip[i];
          if (c >= size) c -= size;
        }
        entries[c] = i;
        c += skip[i];
        next[i] = c >= size ? c - size : c;
        filled++;
      }
    }
    return new MaglevTable(size, endpoints, entries);
  }

  /**
   * The same slots over fresh Endpoint objects with the same keys and weights (a new route table may
   * carry new pod names or zones for an unchanged `ip:port` set; the slots depend only on the keys).
   */
  rebind(input: readonly Endpoint[]): MaglevTable {
    const endpoints = canonical(input);
    if (endpoints.length !== this.endpoints.length || endpoints.some((e, i) => e.key !== this.endpoints[i].key)) {
      throw new Error('rebind needs the same endpoint keys');
    }
    return new MaglevTable(this.size, endpoints, this.entries);
  }

  /** The endpoint owning the slot of this key hash, ignoring health. */
  owner(keyHash: number): Endpoint | undefined {
    if (this.endpoints.length === 0) return undefined;
    return this.endpoints[this.entries[keyHash % this.size]];
  }

  /**
   * Health is a predicate applied here, never a rebuild. When the slot's endpoint is not usable we walk
   * to the following slots and take the first usable owner. Why this walk: a key whose own slot is
   * usable returns immediately, so an ejection moves only the keys of the ejected endpoint; and because
   * the table interleaves endpoints pseudo-randomly, the slot after an ejected one belongs to any
   * other endpoint in proportion to its share, so the orphaned keys spread evenly instead of piling
   * onto one neighbour. The walk is deterministic, so replicas with the same health view agree.
   * It is bounded (2n + 16 slots); past that, a scan of the endpoint list finds any usable one.
   */
  lookup(keyHash: number, usable: Usable): Endpoint | undefined {
    const n = this.endpoints.length;
    if (n === 0) return undefined;
    const size = this.size;
    let slot = keyHash % size;
    const limit = Math.min(size, 2 * n + 16);
    for (let step = 0; step < limit; step++) {
      const ep = this.endpoints[this.entries[slot]];
      if (usable(ep)) return ep;
      slot = slot + 1 === size ? 0 : slot + 1;
    }
    const start = this.entries[keyHash % size];
    for (let i = 1; i < n; i++) {
      const ep = this.endpoints[(start + i) % n];
      if (usable(ep)) return ep;
    }
    return undefined;
  }

  /** Slots owned per endpoint, in `endpoints` order (for tests and the benchmark). */
  slotCounts(): number[] {
    const counts = new Array<number>(this.endpoints.length).fill(0);
    for (const i of this.entries) counts[i]++;
    return counts;
  }

  /** The owner index of every slot (for disruption measurements). */
  ownerKeys(): string[] {
    return Array.from(this.entries, (i) => this.endpoints[i].key);
  }
}

/** Sorted by key and deduplicated, so the table does not depend on input order. */
function canonical(input: readonly Endpoint[]): Endpoint[] {
  const byKey = new Map<string, Endpoint>();
  for (const ep of input) if (ep.weight > 0 && Number.isFinite(ep.weight) && !byKey.has(ep.key)) byKey.set(ep.key, ep);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The string a request hashes on. When the header or cookie is absent the client IP is used, so a
 * client without the key still sticks to one pod rather than being scattered.
 */
export function hashKey(hashBy: HashBy, input: PickInput): string {
  switch (hashBy.kind) {
    case 'client-ip':
      return input.clientIp;
    case 'path':
      return input.path;
    case 'header': {
      const v = input.headers[hashBy.name];
      if (v === undefined) return input.clientIp;
      return Array.isArray(v) ? v.join(',') : v;
    }
    case 'cookie':
      return cookieValue(input.headers.cookie, hashBy.name) ?? input.clientIp;
  }
}

function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `rauta.io/load-balance: maglev`: a key (client IP, header, cookie or path) always lands on one pod. */
export class MaglevSelector implements Selector {
  private readonly table: MaglevTable;
  private readonly hashBy: HashBy;

  constructor(table: MaglevTable, hashBy: HashBy = { kind: 'client-ip' }) {
    this.table = table;
    this.hashBy = hashBy;
  }

  pick(input: PickInput, usable: Usable): Endpoint | undefined {
    return this.table.lookup(hash32(hashKey(this.hashBy, input)), usable);
  }
}
