import type { RequestEvent } from '../request-event.ts';
import type { EventSink, SinkCounters } from '../sink.ts';

export interface RingEntry {
  readonly event: RequestEvent;
  readonly json: string;
}

export type RingListener = (entry: RingEntry) => void;

/** The ring as the admin API reads it: it may live in another thread. Newest first; `limit` entries that pass `keep`. */
export interface RecentEvents {
  recent(limit: number, keep: (e: RequestEvent) => boolean): Promise<readonly RingEntry[]>;
}

/**
 * The last N request events in memory (`RAUTA_RING_SIZE`), always on: with no NATS this is the whole
 * event pipeline. Also the source of the live feed (`/requests/stream`) through listeners.
 *
 * Only each event's JSON text is kept. An entry outlives several young-generation GCs, so whatever the
 * ring holds is promoted to the old generation and dies there: keeping the event object graph as well
 * (event, context, data, entities, keys…) more than doubled that churn, which under load showed as the
 * old space swinging between ~60 and ~115 MB. Readers of `recent` (the admin endpoint) parse on demand.
 */
export class RingSink implements EventSink {
  readonly name = 'ring';
  private readonly entries: (string | undefined)[];
  private next = 0;
  private count = 0;
  private readonly listeners = new Set<RingListener>();
  private readonly counters: SinkCounters;

  constructor(size: number, counters: SinkCounters) {
    this.entries = new Array(size);
    this.counters = counters;
  }

  write(event: RequestEvent, json: string): void {
    if (this.entries.length > 0) {
      this.entries[this.next] = json;
      this.next = (this.next + 1) % this.entries.length;
      if (this.count < this.entries.length) this.count++;
    }
    this.counters.published();
    if (this.listeners.size > 0) {
      const entry = { event, json };
      for (const l of this.listeners) l(entry);
    }
  }

  /** Newest first; stops after `limit` entries that pass `keep`. */
  recent(limit: number, keep: (e: RequestEvent) => boolean = () => true): RingEntry[] {
    const out: RingEntry[] = [];
    const n = this.entries.length;
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const json = this.entries[(this.next - i + n) % n];
      if (json === undefined) continue;
      const event = JSON.parse(json) as RequestEvent;
      if (keep(event)) out.push({ event, json });
    }
    return out;
  }

  /** Newest first, as stored (JSON text): for readers in another thread, which parse and filter. */
  recentJson(limit = this.count): string[] {
    const out: string[] = [];
    const n = this.entries.length;
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const json = this.entries[(this.next - i + n) % n];
      if (json !== undefined) out.push(json);
    }
    return out;
  }

  subscribe(listener: RingListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
