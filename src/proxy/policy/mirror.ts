import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { MirrorOp } from '../../routing/policy.ts';
import type { RouteTable } from '../../routing/route-table.ts';
import type { Backend, Endpoint } from '../../routing/types.ts';
import { requestHasBody } from '../downstream.ts';
import { upstreamRequestHeaders } from '../headers.ts';
import { type PolicyContext, upstreamTarget } from './context.ts';
import { editHeaders } from './headers.ts';
import { render } from './template.ts';

export interface MirrorOptions {
  /** The table in force: the mirror's backend is looked up in it by id. */
  readonly table: () => RouteTable;
  readonly dispatcher: Dispatcher;
  /** A mirrored request that takes longer is abandoned. */
  readonly timeoutMs: number;
  /** Mirrors in flight at once; beyond it copies are dropped (a slow mirror never builds a queue). */
  readonly maxInFlight?: number;
  /** Body bytes a copy may fall behind the real request before it is dropped. */
  readonly maxBodyLagBytes?: number;
  readonly random?: () => number;
}

export interface Mirror {
  (op: MirrorOp, ctx: PolicyContext): void;
  readonly stats: { sent: number; dropped: number; failed: number };
}

/** A rendered mirror path must be an origin-form target (nothing a variable could smuggle). */
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;

/**
 * The body of a copy: fed with the chunks the real request hands its backend, never pulled. When the
 * mirror reads slower than the client sends, the copy is dropped rather than holding the client back
 * or buffering without bound.
 */
class BodyCopy extends Readable {
  private readonly maxLag: number;
  constructor(maxLag: number) {
    super();
    this.maxLag = maxLag;
  }
  override _read(): void {}
  offer(chunk: Buffer): void {
    if (this.destroyed || this.readableEnded) return;
    if (this.readableLength + chunk.length > this.maxLag) this.destroy(new Error('mirror fell behind the request body'));
    else this.push(chunk);
  }
  finish(): void {
    if (!this.destroyed) this.push(null);
  }
}

/**
 * Mirrors (Gateway API RequestMirror, ingress-nginx mirror-target): a copy of the request goes to
 * another backend or URL and its answer is thrown away; the client's request never waits for it and
 * never fails because of it. Bounded: copies in flight, time, and how far a body copy may fall behind.
 */
export function createMirror(o: MirrorOptions): Mirror {
  const random = o.random ?? Math.random;
  const max = o.maxInFlight ?? 256;
  const maxLag = o.maxBodyLagBytes ?? 1024 * 1024;
  const byTable = new WeakMap<RouteTable, Map<string, Backend>>();
  let inFlight = 0;
  const stats = { sent: 0, dropped: 0, failed: 0 };

  const backendOf = (id: string): Backend | undefined => {
    const table = o.table();
    let map = byTable.get(table);
    if (map === undefined) {
      map = new Map(table.backends.map((b) => [b.id, b]));
      byTable.set(table, map);
    }
    return map.get(id);
  };

  /** Where the copy goes: an origin, its request target and the Host it carries. */
  const destination = (op: MirrorOp, ctx: PolicyContext): { origin: string; path: string; host: string } | undefined => {
    if (op.url !== undefined) {
      const path = render(op.url.path, ctx);
      if (!ORIGIN_FORM.test(path)) return undefined;
      const defaultPort = op.url.port === (op.url.scheme === 'https' ? 443 : 80);
      const authority = defaultPort ? op.url.host : `${op.url.host}:${op.url.port}`;
      return { origin: `${op.url.scheme}://${op.url.host}:${op.url.port}`, path, host: op.hostHeader ?? authority };
    }
    const ready: Endpoint[] = (op.backendId === undefined ? [] : (backendOf(op.backendId)?.endpoints ?? [])).filter((e) => e.ready);
    if (ready.length === 0) return undefined;
    const ep = ready[Math.floor(random() * ready.length)];
    return { origin: `http://${ep.key}`, path: upstreamTarget(ctx), host: op.hostHeader ?? ctx.rawHost };
  };

  const mirror = (op: MirrorOp, ctx: PolicyContext): void => {
    if (op.percent < 100 && random() * 100 >= op.percent) return;
    const dest = inFlight < max ? destination(op, ctx) : undefined;
    if (dest === undefined) {
      stats.dropped++;
      return;
    }
    const hasBody = requestHasBody(ctx.req);
    let headers = upstreamRequestHeaders(ctx.req.rawHeaders, {
      clientIp: ctx.clientIp, proto: ctx.scheme, host: ctx.rawHost, port: ctx.req.socket?.localPort ?? 0,
      requestId: randomUUID(), priorForwardedFor: undefined,
    }, undefined);
    headers = editHeaders(headers, hasBody && op.withBody ? ['host'] : ['host', 'content-length'], [{ name: 'host', value: dest.host }], []);
    let body: BodyCopy | null = null;
    if (hasBody && op.withBody) {
      body = new BodyCopy(maxLag);
      const copy = body;
      ctx.bodyTaps.push((chunk) => (chunk === null ? copy.finish() : copy.offer(chunk)));
      // The client left mid-body: the copy is incomplete, so it is cut too.
      ctx.req.once('close', () => { if (!copy.readableEnded && !ctx.req.complete) copy.destroy(); });
      copy.on('error', () => {});
    }
    inFlight++;
    stats.sent++;
    const signal = AbortSignal.timeout(o.timeoutMs);
    o.dispatcher
      .request({ origin: dest.origin, method: ctx.req.method as Dispatcher.HttpMethod, path: dest.path, headers, body, signal })
      .then((res) => res.body.dump())
      .catch(() => {
        stats.failed++;
      })
      .finally(() => {
        inFlight--;
        body?.destroy();
      });
  };
  return Object.assign(mirror, { stats });
}
