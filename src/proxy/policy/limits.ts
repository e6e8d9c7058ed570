import type { ConnectionLimitOp, RateLimitOp } from '../../routing/policy.ts';

/** Per-address state is bounded: beyond this many addresses per limit, the oldest entry is forgotten. */
const MAX_ADDRESSES = 50_000;

interface Bucket { tokens: number; at: number }

/**
 * Rate and concurrency limits per client address, per replica (as ingress-nginx's limit_req / limit_conn
 * zones). A token bucket refilled at `requests / perMs`, holding `burst` (at least 1); the state lives in
 * the data plane, keyed by the operation object, so a new table starts its limits afresh.
 */
export class Limits {
  private readonly buckets = new WeakMap<RateLimitOp, Map<string, Bucket>>();
  private readonly inUse = new WeakMap<ConnectionLimitOp, Map<string, number>>();
  private readonly now: () => number;
  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  take(op: RateLimitOp, ip: string): boolean {
    let perIp = this.buckets.get(op);
    if (perIp === undefined) {
      perIp = new Map();
      this.buckets.set(op, perIp);
    }
    const capacity = Math.max(1, op.burst);
    const rate = op.requests / op.perMs;
    const t = this.now();
    let b = perIp.get(ip);
    if (b === undefined) {
      if (perIp.size >= MAX_ADDRESSES) perIp.delete(perIp.keys().next().value as string);
      b = { tokens: capacity, at: t };
      perIp.set(ip, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + (t - b.at) * rate);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Returns a release function, or undefined when the address is at its limit. */
  enter(op: ConnectionLimitOp, ip: string): (() => void) | undefined {
    let perIp = this.inUse.get(op);
    if (perIp === undefined) {
      perIp = new Map();
      this.inUse.set(op, perIp);
    }
    const n = perIp.get(ip) ?? 0;
    if (n >= op.max) return undefined;
    perIp.set(ip, n + 1);
    const counts = perIp;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (counts.get(ip) ?? 1) - 1;
      if (left <= 0) counts.delete(ip);
      else counts.set(ip, left);
    };
  }
}
