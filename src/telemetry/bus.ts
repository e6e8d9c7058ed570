import type { RequestEvent } from './request-event.ts';
import type { CountersFor, EventSink, SinkCounters } from './sink.ts';

/** A fixed-capacity FIFO that refuses (rather than grows) when full. */
class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.items = new Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): boolean {
    if (this.count === this.items.length) return false;
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
    return true;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }
}

/** One event on its way to the sinks; serialized at most once, by the first sink that drains it. */
interface Pending {
  readonly event: RequestEvent;
  json: string;
}

interface Lane {
  readonly sink: EventSink;
  readonly queue: BoundedQueue<Pending>;
  readonly counters: SinkCounters;
}

export interface EventBusOptions {
  /** Per-sink queue capacity: events waiting for the next drain. */
  readonly queueSize: number;
  readonly serialize: (event: RequestEvent) => string;
  readonly counters: CountersFor;
}

/**
 * Fans each request event out to every sink. `publish` only enqueues (O(sinks), no I/O, no
 * serialization) and schedules one drain on the next turn of the event loop, so the request's finish
 * step never waits for a sink. A sink whose queue is full loses the event, and the loss is counted.
 */
export class EventBus {
  private readonly lanes: Lane[] = [];
  private readonly opts: EventBusOptions;
  private scheduled = false;
  private readonly drainBound = () => this.drain();

  constructor(opts: EventBusOptions) {
    this.opts = opts;
  }

  add(sink: EventSink): void {
    this.lanes.push({ sink, queue: new BoundedQueue(this.opts.queueSize), counters: this.opts.counters(sink.name) });
  }

  get sinks(): readonly EventSink[] {
    return this.lanes.map((l) => l.sink);
  }

  publish(event: RequestEvent): void {
    const pending: Pending = { event, json: '' };
    for (const lane of this.lanes) {
      if (!lane.queue.push(pending)) lane.counters.dropped();
    }
    if (!this.scheduled && this.lanes.length > 0) {
      this.scheduled = true;
      setImmediate(this.drainBound);
    }
  }

  /** Delivers everything queued. Public so shutdown (and tests) can flush synchronously. */
  drain(): void {
    this.scheduled = false;
    for (const lane of this.lanes) {
      for (let p = lane.queue.shift(); p !== undefined; p = lane.queue.shift()) {
        if (p.json === '') p.json = this.opts.serialize(p.event);
        try {
          lane.sink.write(p.event, p.json);
        } catch {
          // A sink bug must not take the others down; it shows up as a drop.
          lane.counters.dropped();
        }
      }
    }
  }

  async close(): Promise<void> {
    this.drain();
    await Promise.all(this.lanes.map((l) => l.sink.close?.()));
  }
}
