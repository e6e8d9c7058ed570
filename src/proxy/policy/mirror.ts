import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { MirrorOp } from '../../routing/policy.ts';
import type { RouteTable } from '../../routing/route-table.ts';
import type { Backend, Endpoint } from '../../routing/types.ts';
import { requestHasBody } from '../downstream.ts';
import { upstreamRequestHeaders } from '../headers.ts';
import { type PolicyContext, upstreamTarget } from './context.ts';

export interface MirrorOptions {
  /** The table in force: the mirror's backend is looked up in it by id. */
  readonly table: () => RouteTable;
  readonly dispatcher: Dispatcher;
  /** A mirrored request that takes longer is abandoned. */
  readonly timeoutMs: number;
  /** Mirrors in flight at once; beyond it copies are dropped (a slow mirror never builds a queue). */
  readonly maxInFlight?: number;
  readonly random?: () => number;
}

export interface Mirror {
  (op: MirrorOp, ctx: PolicyContext): void;
  readonly stats: { sent: number; dropped: number; failed: number };
}

/**
 * RequestMirror (Gateway API): a copy of the request goes to another backend and its answer is
 * thrown away; the client's request never waits for it and never fails because of it. Bodies are not
 * copied: the client's body is streamed once, to the real backend, so requests with a body are not
 * mirrored (counted as dropped).
 */
export function createMirror(o: MirrorOptions): Mirror {
  const random = o.random ?? Math.random;
  const max = o.maxInFlight ?? 256;
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

  const mirror = (op: MirrorOp, ctx: PolicyContext): void => {
    if (op.percent < 100 && random() * 100 >= op.percent) return;
    const ready: Endpoint[] = (backendOf(op.backendId)?.endpoints ?? []).filter((e) => e.ready);
    if (ready.length === 0 || inFlight >= max || requestHasBody(ctx.req)) {
      stats.dropped++;
      return;
    }
    const ep = ready[Math.floor(random() * ready.length)];
    const headers = upstreamRequestHeaders(ctx.req.rawHeaders, {
      clientIp: ctx.clientIp, proto: ctx.scheme, host: ctx.rawHost, port: ctx.req.socket.localPort ?? 0,
      requestId: randomUUID(), priorForwardedFor: undefined,
    }, undefined);
    inFlight++;
    stats.sent++;
    const signal = AbortSignal.timeout(o.timeoutMs);
    o.dispatcher
      .request({ origin: `http://${ep.ip.includes(':') ? `[${ep.ip}]` : ep.ip}:${ep.port}`, method: ctx.req.method as Dispatcher.HttpMethod, path: upstreamTarget(ctx), headers, signal })
      .then((res) => res.body.dump())
      .catch(() => {
        stats.failed++;
      })
      .finally(() => {
        inFlight--;
      });
  };
  return Object.assign(mirror, { stats });
}
