import { parentPort } from 'node:worker_threads';
import type { ObjectSet } from '../object-set.ts';
import { DocumentCache } from './documents.ts';
import { parseManifests } from './manifests.ts';
import type { ParseReply, ParseRequest, WireObject, WireObjectSet } from './parse-protocol.ts';

/**
 * Parses manifest files off the proxy's event loop. The document cache lives here, with the worker,
 * so a re-read parses only the documents whose text changed; objects the file source already has
 * cross as their number only.
 */
const cache = new DocumentCache();
/** Objects of the last snapshot sent, by the number the file source knows them by. */
let sent = new Map<object, number>();
let nextId = 1;

function encode(objects: ObjectSet): { readonly wire: WireObjectSet; readonly ids: Map<object, number> } {
  const ids = new Map<object, number>();
  const wire: Record<string, unknown> = {};
  for (const [key, list] of Object.entries(objects) as [keyof ObjectSet, readonly object[] | undefined][]) {
    if (key === 'problems' || list === undefined) {
      wire[key] = list;
      continue;
    }
    wire[key] = list.map((o): WireObject => {
      // Twice in one snapshot (the same document twice): the first copy came earlier in this reply.
      const seen = ids.get(o);
      if (seen !== undefined) return seen;
      const known = sent.get(o);
      const id = known ?? nextId++;
      ids.set(o, id);
      return known !== undefined ? id : { id, value: o };
    });
  }
  return { wire: wire as WireObjectSet, ids };
}

parentPort?.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    const { wire, ids } = encode(parseManifests(req.files, cache));
    reply = { id: req.id, ok: true, objects: wire, parsed: cache.parsed, reused: cache.reused };
    // What the file source holds from now on: exactly this snapshot's objects.
    sent = ids;
  } catch (err) {
    const e = err as Error & { code?: unknown };
    reply = { id: req.id, ok: false, message: e.message, code: typeof e.code === 'string' ? e.code : undefined };
  }
  parentPort?.postMessage(reply);
});
