import { ObjectEncoder } from '../sources/object-codec.ts';
import type { ObjectSet } from '../sources/object-set.ts';
import { ThreadCall, siblingModule } from '../thread-call.ts';
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
  private readonly encoder = new ObjectEncoder();
  private assembler = new TableAssembler();
  private readonly thread: ThreadCall<TranslateRequest, TranslateReply>;

  constructor(options: ThreadTranslateOptions) {
    this.thread = new ThreadCall(siblingModule(import.meta.url, 'translate-worker'), 'translation thread', {
      workerData: options,
      // A new thread knows no objects and has sent no table.
      onStart: () => {
        this.encoder.reset();
        this.assembler = new TableAssembler();
      },
    });
  }

  async translate(objects: ObjectSet): Promise<Translation & { durationMs: number }> {
    const reply = await this.thread.call((id) => ({ id, objects: this.encoder.encode(objects) }));
    if (!reply.ok) {
      if (reply.lost) this.thread.restart();
      else this.encoder.commit(); // translation itself failed; the thread still took the snapshot
      throw new Error(reply.message);
    }
    this.encoder.commit();
    let change: ReturnType<TableAssembler['change']>;
    for (const m of reply.messages) {
      if (m.type === 'table-part') this.assembler.part(m);
      else change = this.assembler.change(m);
    }
    if (change === undefined) {
      // Both sides lost step: a new thread starts from a whole snapshot.
      this.thread.restart();
      throw new Error('a table from the translation thread referred to one this side does not have');
    }
    return { table: change.table, fingerprint: change.fingerprint, durationMs: reply.durationMs };
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
