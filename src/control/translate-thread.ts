import { Worker } from 'node:worker_threads';
import { ObjectEncoder } from '../sources/object-codec.ts';
import type { ObjectSet } from '../sources/object-set.ts';
import type { Translation } from '../translate/translate.ts';
import { TableAssembler } from '../workers/table-feed.ts';
import type { ThreadTranslateOptions, TranslateReply, TranslateRequest } from './translate-protocol.ts';

/**
 * Runs translation in a worker thread (src/control/translate-worker.ts): 10,000 Ingresses take hundreds
 * of milliseconds to translate, which the event loop that serves requests must not lose. Snapshots go
 * as what changed since the last one, tables come back the same way and are patched or rebuilt here
 * with the indexes of unchanged hosts kept. One translation at a time; a thread that dies fails the
 * translation in flight and is replaced (whole snapshot, whole table) on the next one.
 */
export class TranslateThread {
  private readonly options: ThreadTranslateOptions;
  private worker: Worker | undefined;
  private readonly encoder = new ObjectEncoder();
  private assembler = new TableAssembler();
  private nextId = 1;
  private pending: { id: number; resolve: (t: Translation & { durationMs: number }) => void; reject: (err: Error) => void } | undefined;

  constructor(options: ThreadTranslateOptions) {
    this.options = options;
  }

  translate(objects: ObjectSet): Promise<Translation & { durationMs: number }> {
    if (this.pending !== undefined) return Promise.reject(new Error('a translation is already running'));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      worker.ref(); // a translation in flight keeps the process alive; an idle thread does not
      const req: TranslateRequest = { id, objects: this.encoder.encode(objects) };
      worker.postMessage(req);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error('translation thread closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const worker = new Worker(new URL(`./translate-worker${ext}`, import.meta.url), { workerData: this.options });
    worker.on('message', (reply: TranslateReply) => this.onReply(reply));
    worker.on('error', (err) => this.onExit(worker, err));
    worker.on('exit', (code) => this.onExit(worker, new Error(`translation thread exited with code ${code}`)));
    // A new thread knows no objects and has sent no table.
    this.encoder.reset();
    this.assembler = new TableAssembler();
    this.worker = worker;
    return worker;
  }

  private onReply(reply: TranslateReply): void {
    const p = this.pending;
    if (p === undefined || p.id !== reply.id) return;
    this.pending = undefined;
    this.worker?.unref();
    if (!reply.ok) {
      if (reply.lost) this.restart();
      else this.encoder.commit(); // translation itself failed; the thread still took the snapshot
      p.reject(new Error(reply.message));
      return;
    }
    this.encoder.commit();
    let change: ReturnType<TableAssembler['change']>;
    for (const m of reply.messages) {
      if (m.type === 'table-part') this.assembler.part(m);
      else change = this.assembler.change(m);
    }
    if (change === undefined) {
      this.restart();
      p.reject(new Error('a table from the translation thread referred to one this side does not have'));
      return;
    }
    p.resolve({ table: change.table, fingerprint: change.fingerprint, durationMs: reply.durationMs });
  }

  /** Both sides lost step: a new thread starts from a whole snapshot. */
  private restart(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
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
