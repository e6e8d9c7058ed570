import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type EnvelopeParts, ProtoWriter, encodeEnvelopeParts, exportRequestChunks, writeRequestSpans } from './otlp-proto.ts';
import type { SpanValue } from './span-record.ts';

export interface BatcherOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** OTEL_BSP_MAX_QUEUE_SIZE: spans encoded but not yet exported; beyond it new spans are dropped. */
  readonly maxQueueSize: number;
  /** OTEL_BSP_MAX_EXPORT_BATCH_SIZE: a batch is sent as soon as it holds this many spans. */
  readonly maxExportBatchSize: number;
  /** OTEL_BSP_SCHEDULE_DELAY: a partial batch waits at most this long. */
  readonly scheduledDelayMs: number;
  /** Outcome of every export request, and spans refused because the queue was full. */
  readonly report: (outcome: { spans: number; ok: boolean; error?: string; dropped?: boolean }) => void;
}

interface Batch {
  readonly spans: number;
  readonly body: Buffer[];
  readonly length: number;
}

/** Export requests in flight at once (the SDK exporter's default concurrency limit is similar). */
const CONCURRENCY = 2;

/**
 * The export worker's span pipeline for http/protobuf: each traced request is encoded into the open
 * batch the moment it arrives (otlp-proto.ts), a batch is sealed when full or after the schedule
 * delay, and sealed batches are POSTed, at most two at a time, over a keep-alive connection. The
 * resource and scope are encoded once for the life of the exporter. A dead or slow collector costs
 * dropped spans (reported), never memory: encoded-but-unexported spans are bounded by the queue size.
 */
export class ProtoBatcher {
  private readonly opts: BatcherOptions;
  private readonly envelope: EnvelopeParts;
  private readonly writer = new ProtoWriter(64 * 1024);
  private open = 0;
  private readonly ready: Batch[] = [];
  /** Spans encoded and not yet exported (open batch + sealed + in flight). */
  private queued = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private idle: (() => void) | undefined;

  constructor(opts: BatcherOptions) {
    this.opts = opts;
    this.envelope = encodeEnvelopeParts(opts.resourceAttributes, 'rauta');
    const https = opts.url.startsWith('https:');
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY }) : new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
    this.send = https ? httpsRequest : httpRequest;
  }

  /** One posted run of traced requests (span-record.ts) holding `spans` spans. */
  add(values: readonly SpanValue[], spans: number): void {
    if (this.queued + spans > this.opts.maxQueueSize) {
      this.opts.report({ spans, ok: false, dropped: true });
      return;
    }
    this.open += writeRequestSpans(this.writer, values);
    this.queued += spans;
    if (this.open >= this.opts.maxExportBatchSize) this.seal();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.seal(), this.opts.scheduledDelayMs);
  }

  private seal(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.open === 0) return;
    const spans = Buffer.from(this.writer.view());
    this.writer.reset();
    const body = exportRequestChunks(this.envelope, spans);
    this.ready.push({ spans: this.open, body, length: body[0].length + spans.length });
    this.open = 0;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < CONCURRENCY && this.ready.length > 0) {
      const batch = this.ready.shift() as Batch;
      this.inFlight++;
      this.post(batch, (ok, error) => {
        this.inFlight--;
        this.queued -= batch.spans;
        this.opts.report({ spans: batch.spans, ok, error });
        this.pump();
        if (this.inFlight === 0 && this.ready.length === 0) this.idle?.();
      });
    }
  }

  private post(batch: Batch, done: (ok: boolean, error?: string) => void): void {
    let settled = false;
    const finish = (ok: boolean, error?: string) => {
      if (settled) return;
      settled = true;
      done(ok, error);
    };
    const req = this.send(this.opts.url, {
      method: 'POST',
      agent: this.agent,
      headers: { 'content-type': 'application/x-protobuf', 'content-length': batch.length },
      timeout: this.opts.timeoutMs,
    }, (res) => {
      res.resume();
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        finish(status >= 200 && status < 300, status >= 200 && status < 300 ? undefined : `collector answered ${status}`);
      });
      res.once('error', (err) => finish(false, err.message));
    });
    // The whole export, not just idle socket time, is bounded.
    const deadline = setTimeout(() => req.destroy(new Error(`export timed out after ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    req.once('close', () => clearTimeout(deadline));
    req.once('timeout', () => req.destroy(new Error(`export timed out after ${this.opts.timeoutMs} ms`)));
    req.once('error', (err) => finish(false, err.message));
    for (const chunk of batch.body) req.write(chunk);
    req.end();
  }

  /** Seals the open batch and resolves when every batch has been exported (or failed). */
  flush(): Promise<void> {
    this.seal();
    if (this.inFlight === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  close(): void {
    clearTimeout(this.timer);
    this.agent.destroy();
  }
}
