/**
 * Deterministic, seeded string hashes for Maglev. They must give the same value in every RAUTA replica
 * and after every restart (two replicas send one key to one pod), so nothing here may depend on process
 * state: no Math.random, no per-process hash seeds.
 */

const MASK64 = (1n << 64n) - 1n;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const encoder = new TextEncoder();

/**
 * FNV-1a over the UTF-8 bytes, started from the offset basis mixed with `seed`, then the SplitMix64
 * finalizer. FNV alone mixes its low bits poorly (multiplication only carries upward), and Maglev
 * reduces the hash modulo a prime, so the finalizer spreads every input bit over the whole word; with
 * it, two seeds give two practically independent hashes (what the paper asks of offset and skip).
 * BigInt is slow, but this only runs when a table is built (once per endpoint, never per request).
 */
export function hash64(text: string, seed: bigint): bigint {
  let h = (FNV64_OFFSET ^ splitmix64(seed)) & MASK64;
  for (const byte of encoder.encode(text)) {
    h ^= BigInt(byte);
    h = (h * FNV64_PRIME) & MASK64;
  }
  return splitmix64(h);
}

function splitmix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * The per-request key hash: 32-bit FNV-1a over UTF-16 code units with the murmur3 finalizer. Numbers
 * only (Math.imul), no allocation, so a lookup stays O(1) and cheap. 32 bits are plenty to index a
 * table of ~65k entries.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
