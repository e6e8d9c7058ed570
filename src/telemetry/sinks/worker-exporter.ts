import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import { Worker } from 'node:worker_threads';
import type { SinkCounters } from '../sink.ts';
import type { SpanPipeline } from '../tracing.ts';
import type { ExporterInit, FromWorker } from './otlp-wire.ts';
import { type AttemptSpanInput, type RequestSpanInput, type SpanValue, pushRequestSpans } from './span-record.ts';

/** Spans gathered before one postMessage; a partial batch goes after FLUSH_MS. */
const BATCH_SPANS = 256;
const FLUSH_MS = 50;
const WARN_EVERY_MS = 30_000;

/**
 * The proxy thread's half of tracing export: traced requests are appended as flat runs of primitives
 * (span-record.ts) and posted to the export worker in batches; the worker encodes them (otlp-proto.ts)
 * and exports them. Spans posted but not yet taken into the worker's
 * queue, plus those gathered here, are bounded by OTEL_BSP_MAX_QUEUE_SIZE: beyond it new spans are
 * dropped and counted (sink "otlp"), so a slow worker or a dead collector never grows memory or
 * touches request latency. If the worker dies, every later span is dropped and counted.
 */
export class WorkerSpanPipeline implements SpanPipeline {
  readonly sampler: Sampler;
  private readonly worker: Worker;
  private readonly counters: SinkCounters;
  private readonly logger: Logger;
  private readonly maxQueued: number;
  private readonly batchSpans: number;
  private values: SpanValue[] = [];
  private gathered = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushBound = () => this.flush();
  private dead: Error | undefined;
  private lastWarn = 0;
  private shutdownDone: (() => void) | undefined;

  constructor(init: ExporterInit, sampler: Sampler, counters: SinkCounters, logger: Logger) {
    this.sampler = sampler;
    this.counters = counters;
    this.logger = logger;
    this.maxQueued = init.maxQueueSize;
    this.batchSpans = Math.min(BATCH_SPANS, init.maxQueueSize);
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.worker = new Worker(new URL(`./otlp-worker${ext}`, import.meta.url), { workerData: init });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    const fail = (err: Error) => {
      this.dead ??= err;
      this.counters.dropped(this.inFlight + this.gathered);
      this.inFlight = 0;
      this.values = [];
      this.gathered = 0;
      this.shutdownDone?.();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`OTLP export worker exited with code ${code}`)));
    // The exporter thread must never keep RAUTA alive on its own (after the listeners: adding a
    // 'message' listener refs the worker's port again).
    this.worker.unref();
  }

  add(request: RequestSpanInput, attempts: readonly AttemptSpanInput[]): void {
    const spans = 1 + attempts.length;
    if (this.dead !== undefined || this.inFlight + this.gathered + spans > this.maxQueued) {
      this.counters.dropped(spans);
      return;
    }
    pushRequestSpans(this.values, request, attempts);
    this.gathered += spans;
    if (this.gathered >= this.batchSpans) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.flushBound, FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Posts what is gathered to the worker. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.gathered === 0 || this.dead !== undefined) return;
    this.worker.postMessage({ type: 'spans', spans: this.gathered, values: this.values });
    this.inFlight += this.gathered;
    this.values = [];
    this.gathered = 0;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'taken') {
      this.inFlight -= m.spans;
    } else if (m.type === 'exported') {
      if (m.ok) this.counters.published(m.spans);
      else if (m.dropped === true) this.counters.dropped(m.spans);
      else {
        this.counters.dropped(m.spans);
        // The SDK reports export failures only through its global diag logger, which RAUTA does not install.
        const now = Date.now();
        if (now - this.lastWarn > WARN_EVERY_MS) {
          this.lastWarn = now;
          this.logger.warn({ err: m.error, spans: m.spans }, 'OTLP export failed; spans dropped');
        }
      }
    } else {
      this.shutdownDone?.();
    }
  }

  /** Posts what is gathered, lets the worker flush its processor and exporter, then stops the thread; a hung collector is cut off after `timeoutMs`. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.flush();
    if (this.dead === undefined) {
      await new Promise<void>((resolve) => {
        this.shutdownDone = resolve;
        setTimeout(resolve, timeoutMs).unref();
        this.worker.postMessage({ type: 'shutdown' });
      });
    }
    await this.worker.terminate();
  }
}
