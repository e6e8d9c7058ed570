import { parentPort } from 'node:worker_threads';
import { DocumentCache } from './documents.ts';
import { parseManifests } from './manifests.ts';
import type { ParseReply, ParseRequest } from './parse-protocol.ts';

/**
 * Parses manifest files off the proxy's event loop. The document cache lives here, with the worker,
 * so a re-read parses only the documents whose text changed.
 */
const cache = new DocumentCache();

parentPort?.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    const objects = parseManifests(req.files, cache);
    reply = { id: req.id, ok: true, objects, parsed: cache.parsed, reused: cache.reused };
  } catch (err) {
    const e = err as Error & { code?: unknown };
    reply = { id: req.id, ok: false, message: e.message, code: typeof e.code === 'string' ? e.code : undefined };
  }
  parentPort?.postMessage(reply);
});
