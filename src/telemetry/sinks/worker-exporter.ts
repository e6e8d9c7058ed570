import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Worker } from 'node:worker_threads';
import { type ExporterInit, type FromWorker, toWire } from './otlp-wire.ts';

type ExportCallback = Parameters<SpanExporter['export']>[1];

/** ExportResultCode from @opentelemetry/core (not a direct dependency): 0 success, 1 failed. */
const SUCCESS = 0;
const FAILED = 1;

/**
 * A SpanExporter that hands batches to a worker thread running the real OTLP exporter. The proxy
 * thread only copies plain span data across (structured clone); the protobuf/JSON encoding and the
 * HTTP calls run in the worker. If the worker dies, exports fail (and are counted as dropped spans);
 * requests are never affected.
 */
export class WorkerSpanExporter implements SpanExporter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, ExportCallback>();
  private nextId = 1;
  private dead: Error | undefined;
  private shutdownDone: (() => void) | undefined;

  constructor(init: ExporterInit) {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.worker = new Worker(new URL(`./otlp-worker${ext}`, import.meta.url), { workerData: init });
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'shutdown-done') return this.shutdownDone?.();
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m.ok ? { code: SUCCESS } : { code: FAILED, error: new Error(m.error ?? 'export failed') });
    });
    const fail = (err: Error) => {
      this.dead = err;
      for (const done of this.pending.values()) done({ code: FAILED, error: err });
      this.pending.clear();
      this.shutdownDone?.();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`OTLP export worker exited with code ${code}`)));
    // The exporter thread must never keep RAUTA alive on its own (after the listeners: adding a
    // 'message' listener refs the worker's port again).
    this.worker.unref();
  }

  export(spans: ReadableSpan[], done: ExportCallback): void {
    if (this.dead !== undefined) return done({ code: FAILED, error: this.dead });
    const id = this.nextId++;
    this.pending.set(id, done);
    this.worker.postMessage({ type: 'export', id, spans: spans.map(toWire) });
  }

  /** Lets the worker flush its exporter, then stops the thread; a hung collector is cut off after `timeoutMs`. */
  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.dead === undefined) {
      await new Promise<void>((resolve) => {
        this.shutdownDone = resolve;
        setTimeout(resolve, timeoutMs).unref();
        this.worker.postMessage({ type: 'shutdown' });
      });
    }
    await this.terminate();
  }

  /** Stops the thread now, whatever it is doing. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  async forceFlush(): Promise<void> {}
}
