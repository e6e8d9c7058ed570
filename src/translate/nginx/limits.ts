import { parseCidrs } from './access.ts';
import { type AnnotationEntry, type NginxContext, parseIntIn, parseSize } from './registry.ts';

const STATUS = 503;

function rate(name: 'limit-rps' | 'limit-rpm', perMs: number) {
  return (value: string, ctx: NginxContext) => {
    const n = parseIntIn(value, 1, 1_000_000);
    if (n === undefined) return ctx.invalid(name, `"${value}" is not a whole number of requests 1..1000000; no limit`);
    const multRaw = ctx.value('limit-burst-multiplier');
    let mult = 5;
    if (multRaw !== undefined) {
      const m = parseIntIn(multRaw, 1, 1000);
      if (m === undefined) ctx.invalid('limit-burst-multiplier', `"${multRaw}" is not a whole number 1..1000; using 5`);
      else mult = m;
    }
    let exempt: string[] = [];
    const wl = ctx.value('limit-allowlist') ?? ctx.value('limit-whitelist');
    if (wl !== undefined) {
      const r = parseCidrs(wl);
      // An exemption list that does not parse exempts nobody (the limit still holds for everyone).
      if (r.ok) exempt = r.cidrs;
      else ctx.invalid(ctx.value('limit-allowlist') !== undefined ? 'limit-allowlist' : 'limit-whitelist', `"${r.bad}" is not an IP address or CIDR; nobody is exempt`);
    }
    ctx.op({ kind: 'rate-limit', requests: n, perMs, burst: n * mult, status: STATUS, exempt });
  };
}

function connections(value: string, ctx: NginxContext): void {
  const n = parseIntIn(value, 1, 1_000_000);
  if (n === undefined) return ctx.invalid('limit-connections', `"${value}" is not a whole number 1..1000000; no limit`);
  ctx.op({ kind: 'connection-limit', max: n, status: STATUS });
}

export const limitEntries: readonly AnnotationEntry[] = [
  { name: 'limit-connections', theme: 'limits', verdict: 'honoured-with-difference', behaviour: 'Concurrent requests per client address on the route, per replica; beyond it 503.', difference: 'Counts requests in flight rather than TCP connections (HTTP/2 multiplexes many requests on one connection).', parse: connections },
  { name: 'limit-rps', theme: 'limits', verdict: 'honoured', behaviour: 'Requests per second per client address, per replica, with a burst of rps × limit-burst-multiplier (default 5); beyond it 503.', parse: rate('limit-rps', 1000) },
  { name: 'limit-rpm', theme: 'limits', verdict: 'honoured', behaviour: 'Requests per minute per client address, per replica, with a burst of rpm × limit-burst-multiplier; beyond it 503.', parse: rate('limit-rpm', 60_000) },
  { name: 'limit-burst-multiplier', theme: 'limits', verdict: 'honoured', behaviour: 'Burst size as a multiple of limit-rps / limit-rpm (default 5).' },
  { name: 'limit-allowlist', theme: 'limits', verdict: 'honoured', behaviour: 'Client CIDRs exempt from limit-rps / limit-rpm.' },
  { name: 'limit-whitelist', theme: 'limits', verdict: 'honoured', behaviour: 'Old name of limit-allowlist.' },
  { name: 'limit-rate', theme: 'limits', verdict: 'unsupported', behaviour: 'Ignored with a warning.', difference: 'Response bandwidth limits are not supported.', parse: (v, c) => { if (parseSize(v) !== 0) c.unsupported('limit-rate', 'response bandwidth limits are not supported'); } },
  { name: 'limit-rate-after', theme: 'limits', verdict: 'unsupported', behaviour: 'Ignored with a warning.', difference: 'Response bandwidth limits are not supported.', parse: (_v, c) => c.unsupported('limit-rate-after', 'response bandwidth limits are not supported') },
  { name: 'global-rate-limit', theme: 'limits', verdict: 'unsupported', behaviour: 'Ignored with a warning.', difference: 'Limits shared across replicas (memcached) are not supported; use limit-rps per replica.', parse: (_v, c) => c.unsupported('global-rate-limit', 'rate limits shared across replicas are not supported; use limit-rps (per replica)') },
  { name: 'global-rate-limit-window', theme: 'limits', verdict: 'unsupported', behaviour: 'Read with global-rate-limit.' },
  { name: 'global-rate-limit-key', theme: 'limits', verdict: 'unsupported', behaviour: 'Read with global-rate-limit.' },
  { name: 'global-rate-limit-ignored-cidrs', theme: 'limits', verdict: 'unsupported', behaviour: 'Read with global-rate-limit.' },
];
