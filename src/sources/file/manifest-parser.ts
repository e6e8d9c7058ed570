import type { ObjectSet } from '../object-set.ts';
import { ManifestError } from './manifests.ts';
import { ObjectDecoder } from '../object-codec.ts';
import { ThreadCall, siblingModule } from '../../thread-call.ts';
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
  /** The last snapshot's objects by the numbers the worker gave them (see WireObject). */
  private readonly decoder = new ObjectDecoder();
  // A new worker numbers its objects afresh.
  private readonly thread = new ThreadCall<ParseRequest, ParseReply>(siblingModule(import.meta.url, 'parse-worker'), 'manifest parse worker', { onStart: () => this.decoder.reset() });

  /** Files without `text` are read by the worker. */
  async parse(files: readonly { name: string; text?: string }[]): Promise<ParseResult> {
    const reply = await this.thread.call((id) => ({ id, files }));
    if (!reply.ok) throw reply.code === 'RAUTA_ERR_MANIFEST' ? new ManifestError(reply.message) : new Error(reply.message);
    const objects = this.decoder.decode(reply.objects);
    if (objects === undefined) {
      // Cannot happen while both sides follow the protocol; if it does, start over with a new worker.
      this.thread.restart();
      throw new Error('the manifest parse worker referred to an object it never sent');
    }
    return { objects, parsed: reply.parsed, reused: reply.reused };
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
