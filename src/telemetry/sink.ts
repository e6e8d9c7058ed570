import type { RequestEvent } from './request-event.ts';

/** Per-sink counters, bound to the sink's name (`rauta_events_published_total{sink}` / `…dropped…`). */
export interface SinkCounters {
  published(n?: number): void;
  dropped(n?: number): void;
}

/** A destination for request events. `write` runs off the request path (in the bus's drain) and must never block or throw. */
export interface EventSink {
  /** The `sink` label: ring, nats, log… */
  readonly name: string;
  write(event: RequestEvent, json: string): void;
  close?(): Promise<void>;
}

/** Creates counters for a sink name; the metrics module provides the real one. */
export type CountersFor = (sink: string) => SinkCounters;
