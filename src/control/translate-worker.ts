import { parentPort, workerData } from 'node:worker_threads';
import { ObjectDecoder } from '../sources/object-codec.ts';
import { TranslationMemo } from '../translate/memo.ts';
import { translate } from '../translate/translate.ts';
import { TableSender } from '../workers/table-feed.ts';
import type { ThreadTranslateOptions, TranslateReply, TranslateRequest } from './translate-protocol.ts';
import { yieldToRequestHandling } from '../thread-call.ts';

/**
 * Translation off the proxy's event loop: snapshots come in as what changed, tables go out as what
 * changed (the same parts the primary sends its workers). The memo stays here, so unchanged objects
 * give unchanged routes and backends, and only those that changed cross back.
 */
const options = workerData as ThreadTranslateOptions;
const decoder = new ObjectDecoder();
const memo = new TranslationMemo();
const sender = new TableSender();
let seq = 0;

yieldToRequestHandling();

parentPort?.on('message', (req: TranslateRequest) => {
  let reply: TranslateReply;
  const objects = decoder.decode(req.objects);
  if (objects === undefined) {
    reply = { id: req.id, ok: false, message: 'a snapshot named an object this thread never got', lost: true };
  } else {
    try {
      const started = performance.now();
      const { table, fingerprint } = translate(objects, { ...options, memo });
      const durationMs = performance.now() - started;
      const messages = sender.messages(++seq, table, { fingerprint, appliedAt: '', durationMs, newDiagnostics: [] });
      reply = { id: req.id, ok: true, messages, durationMs };
    } catch (err) {
      reply = { id: req.id, ok: false, message: (err as Error).message };
    }
  }
  parentPort?.postMessage(reply);
});
