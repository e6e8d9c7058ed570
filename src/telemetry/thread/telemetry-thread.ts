import { Worker } from 'node:worker_threads';
import { type Level, type Logger, pino } from 'pino';
import type { RequestRecord } from '../../proxy/request-record.ts';
import { type HandoffValue, type TraceFacts, pushFinished } from '../handoff.ts';
import type { MetricsSnapshot } from '../sinks/metrics.ts';
import type { FromTelemetry, TelemetryInit, TelemetryWorkerData, ToTelemetry } from './protocol.ts';

/** Requests gathered before one postMessage; otherwise what one turn of the event loop finished. */
const BATCH = 256;
/**
 * An admin query the telemetry thread has not answered by then is answered without its part. Counted
 * from when the thread is up: loading its modules can take seconds on a busy node.
 */
const QUERY_TIMEOUT_MS = 5000;

/**
 * The proxy thread's side of the telemetry thread (telemetry-worker.ts). Per request, `add` appends a
 * few dozen primitives to an array; once per event-loop turn (or every 256 requests) the array is
 * posted. Requests posted and not yet taken by the thread are bounded by RAUTA_EVENT_QUEUE_SIZE:
 * beyond it, and if the thread has died, requests are dropped and counted, never queued without bound.
 */
export class TelemetryThread {
  private worker: Worker | undefined;
  private readonly init: TelemetryInit;
  private readonly logger: Logger;
  private readonly maxQueued: number;
  private readonly onDropped: (n: number) => void;
  private values: HandoffValue[] = [];
  private gathered = 0;
  /**
   * Requests posted, and requests the thread has taken (it adds to this shared counter: an
   * acknowledgement message per batch woke this thread, on a core it may share with the telemetry
   * thread, for every batch). Both wrap at 2^32; their difference is what is in flight.
   */
  private posted = 0;
  private readonly taken = new Int32Array(new SharedArrayBuffer(4));
  private scheduled = false;
  private readonly flushBound = () => this.flush();
  private dead: Error | undefined;
  private nextId = 1;
  private readonly replies = new Map<number, (m: FromTelemetry & { type: 'reply' }) => void>();
  private readonly feedListeners = new Set<(json: string) => void>();
  private shutdownDone: (() => void) | undefined;
  private readonly ready: Promise<void>;
  private markReady: () => void = () => {};
  natsConnected = false;

  constructor(init: TelemetryInit, logger: Logger, onDropped: (n: number) => void, lazy = false) {
    this.logger = logger;
    this.maxQueued = init.eventQueueSize;
    this.onDropped = onDropped;
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.init = init;
    if (!lazy) this.start();
  }

  /** Starts the thread (at once, or with `lazy` on first use: a control plane without traffic may never need it). */
  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const workerData: TelemetryWorkerData = { ...this.init, taken: this.taken.buffer as SharedArrayBuffer };
    const worker = new Worker(new URL(`./telemetry-worker${ext}`, import.meta.url), { workerData, stdout: false, stderr: false });
    this.worker = worker;
    worker.on('message', (m: FromTelemetry) => this.onMessage(m));
    const fail = (err: Error) => {
      if (this.dead === undefined && this.shutdownDone === undefined) this.logger.error({ err: err.message }, 'telemetry thread stopped; request events are dropped from now on');
      this.dead ??= err;
      this.onDropped(this.inFlight + this.gathered);
      this.posted = Atomics.load(this.taken, 0);
      this.values = [];
      this.gathered = 0;
      for (const reply of this.replies.values()) reply({ type: 'reply', id: 0 });
      this.replies.clear();
      this.markReady();
      this.shutdownDone?.();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`telemetry thread exited with code ${code}`)));
    // The thread must never keep RAUTA alive on its own (after the listeners: a 'message' listener refs it again).
    worker.unref();
    return worker;
  }

  private get inFlight(): number {
    return (this.posted - Atomics.load(this.taken, 0)) | 0;
  }

  /** One finished request (and its trace facts when sampled). Never throws, never blocks. */
  add(rec: RequestRecord, trace: TraceFacts | undefined): void {
    if (this.dead !== undefined || this.inFlight + this.gathered >= this.maxQueued) {
      this.onDropped(1);
      return;
    }
    pushFinished(this.values, rec, trace);
    this.gathered++;
    if (this.gathered >= BATCH) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Posts what is gathered. */
  flush(): void {
    this.scheduled = false;
    if (this.gathered === 0 || this.dead !== undefined) return;
    this.post({ type: 'records', count: this.gathered, values: this.values });
    this.posted = (this.posted + this.gathered) | 0;
    this.values = [];
    this.gathered = 0;
  }

  /** A control-plane event (`rauta.config`, `rauta.backends`) for NATS. */
  control(subject: string, json: string): void {
    this.post({ type: 'control', subject, json });
  }

  /** The thread's metrics (request counters, sink counters, NATS state); undefined if it cannot answer. */
  async metrics(): Promise<MetricsSnapshot | undefined> {
    return (await this.query('metrics'))?.metrics;
  }

  /** The ring's events, newest first, as JSON. Requests posted before this call are included. */
  async recentJson(): Promise<readonly string[]> {
    this.flush();
    return (await this.query('recent'))?.recent ?? [];
  }

  /** Every event's JSON from now on (while subscribed): the live feed. */
  subscribeFeed(listener: (json: string) => void): () => void {
    this.feedListeners.add(listener);
    if (this.feedListeners.size === 1) this.post({ type: 'feed', on: true });
    return () => {
      if (this.feedListeners.delete(listener) && this.feedListeners.size === 0) this.post({ type: 'feed', on: false });
    };
  }

  /** Flushes, lets the thread deliver what it holds (NATS drain, last span export), then stops it; bounded by `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.flush();
    const worker = this.worker;
    if (worker === undefined) return;
    if (this.dead === undefined) {
      await new Promise<void>((resolve) => {
        // Ref'd: the worker itself is unref'd, so an unref'd timer let a process whose start failed exit
        // mid-await (code 13, its error never printed).
        const timer = setTimeout(resolve, timeoutMs);
        this.shutdownDone = () => { clearTimeout(timer); resolve(); };
        this.post({ type: 'shutdown' });
      });
    }
    await worker.terminate();
  }

  private async query(what: 'metrics' | 'recent'): Promise<(FromTelemetry & { type: 'reply' }) | undefined> {
    if (this.worker === undefined) return undefined;
    await this.ready;
    if (this.dead !== undefined) return undefined;
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        resolve(undefined);
      }, QUERY_TIMEOUT_MS);
      this.replies.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.post({ type: 'query', id, what });
    });
  }

  private post(m: ToTelemetry): void {
    if (this.dead === undefined) this.start().postMessage(m);
  }

  private onMessage(m: FromTelemetry): void {
    switch (m.type) {
      case 'reply': {
        const reply = this.replies.get(m.id);
        this.replies.delete(m.id);
        reply?.(m);
        return;
      }
      case 'feed':
        for (const json of m.events) for (const l of this.feedListeners) l(json);
        return;
      case 'nats':
        this.natsConnected = m.connected;
        return;
      case 'log':
        this.relayLog(m.line);
        return;
      case 'ready':
        this.markReady();
        return;
      case 'shutdown-done':
        this.shutdownDone?.();
        return;
    }
  }

  private relayLog(line: string): void {
    try {
      const { level, msg, time: _time, pid: _pid, hostname: _host, ...fields } = JSON.parse(line) as { level: number; msg?: string; time?: unknown; pid?: unknown; hostname?: unknown };
      const label = (pino.levels.labels[level] ?? 'info') as Level;
      this.logger[label](fields, msg ?? '');
    } catch {
      this.logger.warn({ line }, 'unreadable log line from the telemetry thread');
    }
  }
}
