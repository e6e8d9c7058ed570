import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ObjectEncoder } from '../object-codec.ts';
import { DocumentCache } from './documents.ts';
import { parseManifests } from './manifests.ts';
import type { ParseReply, ParseRequest } from './parse-protocol.ts';
import { yieldToRequestHandling } from '../../thread-call.ts';

/**
 * Parses manifest files off the proxy's event loop. The document cache lives here, with the worker,
 * so a re-read parses only the documents whose text changed; objects the file source already has
 * cross as their number only.
 */
const cache = new DocumentCache();

yieldToRequestHandling();
const encoder = new ObjectEncoder();

parentPort?.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    const files = req.files.map((f) => ({ name: f.name, text: f.text ?? readFileSync(f.name, 'utf8') }));
    const objects = encoder.encode(parseManifests(files, cache));
    reply = { id: req.id, ok: true, objects, parsed: cache.parsed, reused: cache.reused };
    // Replies are never lost while this worker lives: the file source holds this snapshot from now on.
    encoder.commit();
  } catch (err) {
    const e = err as Error & { code?: unknown };
    reply = { id: req.id, ok: false, message: e.message, code: typeof e.code === 'string' ? e.code : undefined };
  }
  parentPort?.postMessage(reply);
});
