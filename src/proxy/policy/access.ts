import type { AccessOp, AnyOfOp, BasicAuthOp, ConnectionLimitOp, FailClosedOp, RateLimitOp, SourceRangeOp } from '../../routing/policy.ts';
import { ErrorKinds, ProxyError, withStatus } from '../errors.ts';
import { compileRanges, inRanges } from './compile.ts';
import type { PolicyAnswer, PolicyContext } from './context.ts';
import { clientCert } from './client-cert.ts';
import { forwardAuth } from './forward-auth.ts';
import { verifyPassword } from './htpasswd.ts';
import type { PolicyRuntime } from './runtime.ts';

/** One function per access operation: each returns an answer that stops the request, or undefined. */
export async function runAccess(ops: readonly AccessOp[], ctx: PolicyContext, rt: PolicyRuntime): Promise<PolicyAnswer | undefined> {
  for (const op of ops) {
    const answer = await accessOp(op, ctx, rt);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

function accessOp(op: AccessOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined | Promise<PolicyAnswer | undefined> {
  switch (op.kind) {
    case 'fail-closed': return failClosed(op);
    case 'source-range': return sourceRange(op, ctx, rt);
    case 'rate-limit': return rateLimit(op, ctx, rt);
    case 'connection-limit': return connectionLimit(op, ctx, rt);
    case 'basic-auth': return basicAuth(op, ctx, rt);
    case 'forward-auth': return forwardAuth(op, ctx, rt);
    case 'client-cert': return clientCert(op, ctx, rt);
    case 'any-of': return anyOf(op, ctx, rt);
  }
}

async function anyOf(op: AnyOfOp, ctx: PolicyContext, rt: PolicyRuntime): Promise<PolicyAnswer | undefined> {
  let last: PolicyAnswer | undefined;
  for (const inner of op.ops) {
    last = await accessOp(inner, ctx, rt);
    if (last === undefined) return undefined;
  }
  return last;
}

function failClosed(op: FailClosedOp): PolicyAnswer {
  return { kind: 'error', error: new ProxyError(ErrorKinds.policyUnavailable, `${op.message} (${op.reason}); the route is closed rather than served without it`) };
}

function sourceRange(op: SourceRangeOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  const list = rt.compiled.get(op, (o) => compileRanges(o.cidrs));
  const listed = inRanges(list, ctx.clientIp);
  if (op.mode === 'allow' ? listed : !listed) return undefined;
  return { kind: 'error', error: new ProxyError(ErrorKinds.forbidden, `client address ${ctx.clientIp} is not allowed on this route`) };
}

function rateLimit(op: RateLimitOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  if (op.exempt.length > 0 && inRanges(rt.compiled.get(op.exempt, compileRanges), ctx.clientIp)) return undefined;
  if (rt.limits.take(op, ctx.clientIp)) return undefined;
  return { kind: 'error', error: new ProxyError(withStatus(ErrorKinds.rateLimited, op.status), `rate limit of ${op.requests} requests per ${op.perMs / 1000}s exceeded for ${ctx.clientIp}`) };
}

function connectionLimit(op: ConnectionLimitOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  const release = rt.limits.enter(op, ctx.clientIp);
  if (release === undefined) {
    return { kind: 'error', error: new ProxyError(withStatus(ErrorKinds.rateLimited, op.status), `more than ${op.max} concurrent requests from ${ctx.clientIp}`) };
  }
  ctx.onDone.push(release);
  return undefined;
}

async function basicAuth(op: BasicAuthOp, ctx: PolicyContext, rt: PolicyRuntime): Promise<PolicyAnswer | undefined> {
  const challenge = { 'www-authenticate': `Basic realm="${op.realm}"` };
  const header = ctx.req.headers.authorization;
  const deny = (why: string): PolicyAnswer => ({ kind: 'error', error: new ProxyError(ErrorKinds.unauthorized, why), headers: challenge });
  if (typeof header !== 'string' || header.length > 4096) return deny('credentials required');
  const m = /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (m === null) return deny('credentials required');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return deny('credentials required');
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const entry = op.users.find((u) => u.user === user);
  // Unknown users cost a verification too, so response time does not tell which names exist.
  const ok = await verifyPassword(entry?.hash ?? DUMMY_HASH, password, rt.passwordCache);
  if (entry === undefined || !ok) return deny('invalid credentials');
  return undefined;
}

/** A valid SHA-1 htpasswd entry nobody's password matches (SHA-1 of 32 random bytes). */
const DUMMY_HASH = '{SHA}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
