import { isEmptyPolicy, type TrafficPolicy } from '../../routing/policy.ts';
import type { Route } from '../../routing/types.ts';
import type { DownstreamRequest } from '../downstream.ts';
import { runAccess } from './access.ts';
import { type PolicyAnswer, type PolicyContext, newPolicyContext, upstreamTarget } from './context.ts';
import { editHeaders, rewriteBackendHeaders, withHost } from './headers.ts';
import { runRequest } from './request.ts';
import type { PolicyRuntime } from './runtime.ts';

export type { PolicyAnswer, PolicyContext } from './context.ts';

export interface PolicyStart {
  readonly ctx: PolicyContext | undefined;
  readonly answer: PolicyAnswer | undefined;
}

const NONE: PolicyStart = Object.freeze({ ctx: undefined, answer: undefined });

/**
 * Runs the access and request phases of a route's traffic policy. HTTPS redirects run first: a client
 * must never be asked for credentials over plain HTTP. Returns the answer to send instead of forwarding,
 * or the context the upstream and response phases continue with (undefined: the route has no policy,
 * the common case, which costs nothing).
 */
export async function startPolicy(route: Route, req: DownstreamRequest, scheme: 'http' | 'https', clientIp: string, rawHost: string, rt: PolicyRuntime): Promise<PolicyStart> {
  const traffic: TrafficPolicy | undefined = route.policy.traffic;
  if (traffic === undefined || isEmptyPolicy(traffic)) return NONE;
  const ctx = newPolicyContext(route, req, scheme, clientIp, rawHost);
  const early = traffic.request.filter((op) => op.kind === 'https-redirect');
  const answer = (early.length > 0 ? runRequest(early, ctx, rt) : undefined)
    ?? (await runAccess(traffic.access, ctx, rt))
    ?? runRequest(early.length > 0 ? traffic.request.filter((op) => op.kind !== 'https-redirect') : traffic.request, ctx, rt);
  return { ctx, answer };
}

/** Applies the request target and header changes to what goes upstream. */
export function applyToUpstream(ctx: PolicyContext, req: DownstreamRequest, headers: string[]): string[] {
  const target = upstreamTarget(ctx);
  if (target !== ctx.requestUri) req.url = target;
  let out = editHeaders(headers, ctx.removeRequest, ctx.setRequest, ctx.addRequest);
  if (ctx.upstreamHost !== undefined) out = withHost(out, ctx.upstreamHost);
  return out;
}

/**
 * The response phase: header changes on the backend's answer. Call once per request; the upstream phase
 * may still add to the lists (an affinity cookie) before the response head arrives.
 */
export function responseHeaderEditor(ctx: PolicyContext, route: Route): (flat: string[]) => string[] {
  const ops = route.policy.traffic?.response ?? [];
  for (const op of ops) {
    if (op.kind === 'headers') {
      if (op.modifier.remove) ctx.removeResponse.push(...op.modifier.remove);
      if (op.modifier.set) ctx.setResponse.push(...op.modifier.set);
      if (op.modifier.add) ctx.addResponse.push(...op.modifier.add);
    }
  }
  const rewrites = ops.filter((op) => op.kind === 'backend-header-rewrite');
  if (rewrites.length === 0) return (flat) => editHeaders(flat, ctx.removeResponse, ctx.setResponse, ctx.addResponse);
  return (flat) => editHeaders(rewriteBackendHeaders(flat, rewrites), ctx.removeResponse, ctx.setResponse, ctx.addResponse);
}
