import { Worker } from 'node:worker_threads';
import type { ObjectSet } from '../object-set.ts';
import { ManifestError } from './manifests.ts';
import { ObjectDecoder } from '../object-codec.ts';
import type { ParseReply, ParseRequest } from './parse-protocol.ts';

export interface ParseResult {
  readonly objects: ObjectSet;
  /** Document chunks parsed anew, and reused from the previous read. */
  readonly parsed: number;
  readonly reused: number;
}

/**
 * Runs `parseManifests` in a worker thread: YAML parsing is CPU-bound (seconds for a file of 20,000
 * Ingresses) and must not stall the requests the proxy serves meanwhile. One parse at a time (the file
 * source serialises its reads). A worker that dies fails the parse in flight and is replaced on the
 * next one; its document cache is lost with it, nothing else.
 */
export class ManifestParser {
  private worker: Worker | undefined;
  private nextId = 1;
  private pending: { id: number; resolve: (r: ParseResult) => void; reject: (err: Error) => void } | undefined;
  /** The last snapshot's objects by the numbers the worker gave them (see WireObject). */
  private readonly decoder = new ObjectDecoder();

  /** Files without `text` are read by the worker. */
  parse(files: readonly { name: string; text?: string }[]): Promise<ParseResult> {
    if (this.pending !== undefined) return Promise.reject(new Error('a manifest parse is already running'));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<ParseResult>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      worker.ref(); // a parse in flight keeps the process alive; an idle worker does not
      const req: ParseRequest = { id, files };
      worker.postMessage(req);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error('manifest parser closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const worker = new Worker(new URL(`./parse-worker${ext}`, import.meta.url));
    // A new worker numbers its objects afresh.
    this.decoder.reset();
    worker.on('message', (reply: ParseReply) => this.onReply(reply));
    worker.on('error', (err) => this.onExit(worker, err));
    worker.on('exit', (code) => this.onExit(worker, new Error(`manifest parse worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: ParseReply): void {
    const p = this.pending;
    if (p === undefined || p.id !== reply.id) return;
    this.pending = undefined;
    this.worker?.unref();
    if (reply.ok) {
      const objects = this.decoder.decode(reply.objects);
      if (objects === undefined) {
        // Cannot happen while both sides follow the protocol; if it does, start over with a new worker.
        const worker = this.worker;
        this.worker = undefined;
        void worker?.terminate();
        p.reject(new Error('the manifest parse worker referred to an object it never sent'));
        return;
      }
      p.resolve({ objects, parsed: reply.parsed, reused: reply.reused });
    } else p.reject(reply.code === 'RAUTA_ERR_MANIFEST' ? new ManifestError(reply.message) : new Error(reply.message));
  }

  private onExit(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.fail(err);
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }
}
