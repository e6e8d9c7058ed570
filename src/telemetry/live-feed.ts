import type { ServerResponse } from 'node:http';
import type { RequestEvent } from './request-event.ts';
import type { SinkCounters } from './sink.ts';
import type { RingEntry, RingListener } from './sinks/ring.ts';

export type EventFilter = (e: RequestEvent) => boolean;

export interface LiveFeedOptions {
  /** Clients at once (`RAUTA_LIVE_FEED_MAX_CLIENTS`); one more is refused. */
  readonly maxClients: number;
  /** Bytes a client may have waiting in RAUTA's memory (`RAUTA_LIVE_FEED_BUFFER_BYTES`); beyond it the client is dropped. */
  readonly maxBufferedBytes: number;
  /** Events wait at most this long before they are written to the clients in one chunk. */
  readonly flushMs?: number;
  readonly heartbeatMs?: number;
  /** Subscribes to the request events (the ring's listeners); returns the unsubscribe function. */
  readonly subscribe: (listener: RingListener) => () => void;
  /** Per-event accounting as sink `sse`: published once per client that got it, dropped per client that lost it. */
  readonly counters: SinkCounters;
  readonly onClientDropped?: () => void;
  readonly onClientRejected?: () => void;
}

interface Client {
  readonly res: ServerResponse;
  readonly filter: EventFilter | undefined;
}

interface Frame {
  readonly event: RequestEvent;
  readonly bytes: Buffer;
}

/** A pending batch is written at once when it reaches a quarter of a client's buffer (at most this). */
const MAX_FLUSH_BYTES = 64 * 1024;
const HEARTBEAT = Buffer.from(': keep-alive\n\n');

/**
 * The fan-out behind `/requests/stream`. Everything a feed client can make RAUTA hold is bounded: the
 * number of clients, and per client the bytes written but not yet taken by the kernel. A client that
 * falls further behind is disconnected and counted (its EventSource reconnects and starts afresh), so
 * clients that never read cost a fixed amount of memory, not a growing one.
 *
 * The cost per event and client stays small: each event is encoded to one `data:` frame once; frames
 * are collected for a few milliseconds and every unfiltered client gets the same Buffer in one write
 * (a filtered client gets its matching frames, still shared, not re-encoded). A thousand events per
 * second thus cost each client ~20 writes per second rather than a thousand string builds and writes.
 */
export class LiveFeed {
  private readonly clients = new Set<Client>();
  private readonly opts: LiveFeedOptions;
  private readonly flushMs: number;
  private readonly flushBytes: number;
  private batch: Frame[] = [];
  private batchBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private droppedClients = 0;

  constructor(opts: LiveFeedOptions) {
    this.opts = opts;
    this.flushMs = opts.flushMs ?? 50;
    this.flushBytes = Math.min(MAX_FLUSH_BYTES, Math.floor(opts.maxBufferedBytes / 4));
  }

  get size(): number {
    return this.clients.size;
  }

  get dropped(): number {
    return this.droppedClients;
  }

  /** Bytes written to feed clients that their sockets have not yet taken: the feed's whole memory. */
  bufferedBytes(): number {
    let n = 0;
    for (const c of this.clients) n += c.res.writableLength;
    return n;
  }

  /** Starts the event stream on `res`, or answers 503 when the feed is full. */
  open(res: ServerResponse, filter: EventFilter | undefined): void {
    if (this.clients.size >= this.opts.maxClients) {
      this.opts.onClientRejected?.();
      const body = `the live feed is full (${this.opts.maxClients} clients, RAUTA_LIVE_FEED_MAX_CLIENTS); poll /requests instead\n`;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '10', 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write(': rauta live requests\n\n');
    const client: Client = { res, filter };
    this.clients.add(client);
    res.once('close', () => this.remove(client));
    if (this.clients.size === 1) this.startListening();
  }

  /** Ends every feed (shutdown). */
  close(): void {
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    this.stopListening();
  }

  private startListening(): void {
    this.unsubscribe = this.opts.subscribe((entry) => this.add(entry));
    this.heartbeat = setInterval(() => this.writeAll(HEARTBEAT), this.opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  private stopListening(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.batch = [];
    this.batchBytes = 0;
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0) this.stopListening();
  }

  private add(entry: RingEntry): void {
    const bytes = Buffer.from(`data: ${entry.json}\n\n`);
    this.batch.push({ event: entry.event, bytes });
    this.batchBytes += bytes.length;
    if (this.batchBytes >= this.flushBytes) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    let all: Buffer | undefined;
    for (const client of this.clients) {
      let chunk: Buffer;
      let n: number;
      if (client.filter === undefined) {
        all ??= batch.length === 1 ? batch[0].bytes : Buffer.concat(batch.map((f) => f.bytes));
        chunk = all;
        n = batch.length;
      } else {
        const filter = client.filter;
        const mine = batch.filter((f) => filter(f.event));
        if (mine.length === 0) continue;
        chunk = mine.length === 1 ? mine[0].bytes : Buffer.concat(mine.map((f) => f.bytes));
        n = mine.length;
      }
      if (this.write(client, chunk)) this.opts.counters.published(n);
      else this.opts.counters.dropped(n);
    }
  }

  private writeAll(chunk: Buffer): void {
    for (const client of this.clients) this.write(client, chunk);
  }

  /** Writes unless that would put the client over its buffer; then the client is disconnected. */
  private write(client: Client, chunk: Buffer): boolean {
    const { res } = client;
    if (res.destroyed) return false;
    if (res.writableLength + chunk.length > this.opts.maxBufferedBytes) {
      this.droppedClients++;
      this.opts.onClientDropped?.();
      this.remove(client);
      res.destroy();
      return false;
    }
    res.write(chunk);
    // node:http corks the socket until the next tick. Several flushes in one tick (a burst drained at
    // once) would then all count against the buffer although the kernel could take them: hand each
    // chunk to the socket now, so writableLength is only what the client has not read.
    res.socket?.uncork();
    return true;
  }
}
