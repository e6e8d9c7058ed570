import type { ServerResponse } from 'node:http';
import { ApiError, expired, statusObject } from './errors.ts';
import { type ResourceType, apiVersionOf } from './resources.ts';
import { type Predicate, fieldSelector, labelSelector } from './selectors.ts';
import type { KubeObject, Store, StoreEvent } from './store.ts';

export interface CollectionQuery {
  readonly type: ResourceType;
  /** undefined: every namespace (or a cluster-scoped type). */
  readonly namespace: string | undefined;
  readonly params: URLSearchParams;
}

function matcher(q: CollectionQuery): Predicate {
  const labels = labelSelector(q.params.get('labelSelector'));
  const fields = fieldSelector(q.params.get('fieldSelector'));
  return (o) => (q.namespace === undefined || o.metadata.namespace === q.namespace) && labels(o) && fields(o);
}

interface ContinueToken { rv: number; after: string }

/** A list, with `limit`/`continue` paging. Continued pages read the current state (not a snapshot). */
export function listCollection(store: Store, q: CollectionQuery): Record<string, unknown> {
  const match = matcher(q);
  const rvParam = q.params.get('resourceVersion');
  if (q.params.get('resourceVersionMatch') === 'Exact' && rvParam && Number(rvParam) < store.compactedRv) {
    throw expired(`too old resource version: ${rvParam} (${store.compactedRv})`);
  }
  let listRv = store.resourceVersion;
  let after = '';
  const token = q.params.get('continue');
  if (token) {
    let parsed: ContinueToken;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    } catch {
      throw new ApiError(400, 'BadRequest', 'continue key is not valid');
    }
    if (parsed.rv < store.compactedRv) throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    listRv = parsed.rv;
    after = parsed.after;
  }
  const all = store.list(q.type).filter(match);
  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const rest = after === '' ? all : all.filter((o) => keyOf(o) > after);
  const limit = Number(q.params.get('limit') ?? '0');
  const page = limit > 0 ? rest.slice(0, limit) : rest;
  const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
  if (page.length < rest.length) {
    metadata.continue = Buffer.from(JSON.stringify({ rv: listRv, after: keyOf(page[page.length - 1]) })).toString('base64url');
    metadata.remainingItemCount = rest.length - page.length;
  }
  return { kind: `${q.type.kind}List`, apiVersion: apiVersionOf(q.type), metadata, items: page };
}

export interface WatchOptions {
  readonly bookmarkIntervalMs: number;
  /** How an expired resourceVersion is reported: an ERROR event in a 200 stream (as Kubernetes does) or HTTP 410. */
  readonly expiredAs: 'event' | 'status';
}

/**
 * A `?watch=true` stream: newline-delimited JSON events over a chunked 200 response. Replays history after
 * `resourceVersion` (or sends the current objects as ADDED when none is given), then follows live changes.
 */
export function watchCollection(store: Store, q: CollectionQuery, res: ServerResponse, opts: WatchOptions, onEnd: () => void): void {
  const match = matcher(q);
  const rvParam = q.params.get('resourceVersion') ?? '';
  let backlog: StoreEvent[] | undefined;
  if (rvParam !== '' && rvParam !== '0') {
    try {
      backlog = store.eventsSince(q.type, Number(rvParam));
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 410) throw err;
      if (opts.expiredAs === 'status') throw err;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: statusObject(410, 'Expired', err.message) })}\n`);
      onEnd();
      return;
    }
  }
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  const send = (type: string, object: unknown) => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const deliver = (e: StoreEvent) => {
    if (e.typeKey !== `${q.type.group}/${q.type.version}/${q.type.plural}`) return;
    const now = match(e.object);
    const before = e.previous !== undefined && match(e.previous);
    if (e.type === 'MODIFIED' && before && !now) send('DELETED', e.object);
    else if (e.type === 'MODIFIED' && !before && now) send('ADDED', e.object);
    else if (now) send(e.type, e.object);
  };
  if (backlog === undefined) {
    for (const o of store.list(q.type).filter(match)) send('ADDED', o);
  } else {
    for (const e of backlog) deliver(e);
  }
  const unsubscribe = store.subscribe(deliver);
  const timers: NodeJS.Timeout[] = [];
  if (q.params.get('allowWatchBookmarks') === 'true') {
    timers.push(setInterval(() => send('BOOKMARK', { kind: q.type.kind, apiVersion: apiVersionOf(q.type), metadata: { resourceVersion: String(store.resourceVersion) } }), opts.bookmarkIntervalMs));
  }
  const timeoutSeconds = Number(q.params.get('timeoutSeconds') ?? '0');
  if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
  res.on('close', () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    onEnd();
  });
}
