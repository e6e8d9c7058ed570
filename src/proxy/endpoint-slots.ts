import { ErrorKinds, ProxyError } from './errors.ts';

export interface EndpointSlotsOptions {
  /** Attempts (each holding one HTTP/1.1 connection) running at once per endpoint. */
  readonly maxConnections: number;
  /** Attempts that may wait for a slot per endpoint; beyond this they are refused at once. */
  readonly maxPending: number;
}

interface Waiter {
  readonly grant: (release: () => void) => void;
  readonly timer: NodeJS.Timeout;
}

interface Slot {
  active: number;
  readonly waiting: Waiter[];
}

/**
 * Caps the HTTP/1.1 connections RAUTA holds to one endpoint (`ip:port`), with a bounded FIFO queue in
 * front: a flood of requests (or one client pipelining thousands) can no longer open a backend
 * connection each and exhaust the pod's workers or file descriptors. A request that finds the queue
 * full, or waits longer than the connect timeout, gets 503 `RAUTA_ERR_UPSTREAM_OVERLOADED`; that error
 * is retryable (nothing was sent) and says nothing about the endpoint's health.
 */
export class EndpointSlots {
  private readonly slots = new Map<string, Slot>();
  private readonly opts: EndpointSlotsOptions;
  private refusedCount = 0;

  constructor(opts: EndpointSlotsOptions) {
    this.opts = opts;
  }

  /** Requests refused (queue full or waited too long), for telemetry. */
  get refused(): number {
    return this.refusedCount;
  }

  active(key: string): number {
    return this.slots.get(key)?.active ?? 0;
  }

  /** Resolves to a release function once a slot is free, or to the error when none came in time. */
  acquire(key: string, waitMs: number): Promise<(() => void) | ProxyError> | (() => void) {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { active: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    if (slot.active < this.opts.maxConnections) {
      slot.active++;
      return this.releaser(key, slot);
    }
    if (slot.waiting.length >= this.opts.maxPending) {
      this.refusedCount++;
      return Promise.resolve(new ProxyError(ErrorKinds.upstreamOverloaded, `${key} has ${this.opts.maxConnections} connections busy and ${slot.waiting.length} requests waiting`));
    }
    const s = slot;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: (release) => {
          clearTimeout(waiter.timer);
          resolve(release);
        },
        timer: setTimeout(() => {
          const i = s.waiting.indexOf(waiter);
          if (i !== -1) s.waiting.splice(i, 1);
          this.refusedCount++;
          this.forgetIfIdle(key, s);
          resolve(new ProxyError(ErrorKinds.upstreamOverloaded, `no connection to ${key} became free within ${waitMs}ms`));
        }, waitMs),
      };
      s.waiting.push(waiter);
    });
  }

  private releaser(key: string, slot: Slot): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slot.waiting.shift();
      // The slot passes straight to the next waiter: `active` stays as it is.
      if (next !== undefined) return next.grant(this.releaser(key, slot));
      slot.active--;
      this.forgetIfIdle(key, slot);
    };
  }

  private forgetIfIdle(key: string, slot: Slot): void {
    if (slot.active === 0 && slot.waiting.length === 0 && this.slots.get(key) === slot) this.slots.delete(key);
  }
}
