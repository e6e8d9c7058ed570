import { EMPTY_TRAFFIC_POLICY } from '../routing/policy.ts';
import type { BackendProtocol, HashBy, HealthCheck, LoadBalance, RoutePolicy } from '../routing/types.ts';

export const ANNOTATION_PREFIX = 'rauta.io/';

export const DEFAULT_POLICY: RoutePolicy = Object.freeze({
  loadBalance: 'round-robin',
  retries: 2,
  protocol: 'http1',
  sslRedirect: true,
  traffic: EMPTY_TRAFFIC_POLICY,
});

export interface AnnotationProblem { readonly annotation: string; readonly message: string }

const HEALTH_DEFAULTS: HealthCheck = { path: '/', intervalMs: 10_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 3 };
const DEFAULT_HSTS = 'max-age=31536000';

/** `10s`, `500ms`, `2m` or a bare number of seconds. */
export function parseDuration(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}

function parseHashBy(raw: string): HashBy | undefined {
  const v = raw.trim();
  if (v === 'client-ip') return { kind: 'client-ip' };
  if (v === 'path') return { kind: 'path' };
  const m = /^(header|cookie):([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(v);
  if (!m) return undefined;
  return m[1] === 'header' ? { kind: 'header', name: m[2].toLowerCase() } : { kind: 'cookie', name: m[2] };
}

/**
 * Reads an Ingress's `rauta.io/*` annotations into a RoutePolicy. A bad value is reported and the
 * default is used for that one setting, so a typo never takes the Ingress down.
 */
export function parsePolicy(annotations: Record<string, string> | undefined): { policy: RoutePolicy; problems: AnnotationProblem[] } {
  const problems: AnnotationProblem[] = [];
  if (!annotations) return { policy: DEFAULT_POLICY, problems };
  const get = (name: string) => annotations[ANNOTATION_PREFIX + name];
  const bad = (name: string, message: string) => problems.push({ annotation: ANNOTATION_PREFIX + name, message });

  let loadBalance: LoadBalance = DEFAULT_POLICY.loadBalance;
  const lb = get('load-balance');
  if (lb !== undefined) {
    if (lb === 'round-robin' || lb === 'least-request' || lb === 'maglev') loadBalance = lb;
    else bad('load-balance', `"${lb}" is not one of round-robin, least-request, maglev; using round-robin`);
  }

  let hashBy: HashBy | undefined;
  const hb = get('hash-by');
  if (hb !== undefined) {
    hashBy = parseHashBy(hb);
    if (hashBy === undefined) bad('hash-by', `"${hb}" is not one of client-ip, path, header:NAME, cookie:NAME; ignored`);
    else if (lb !== undefined && loadBalance !== 'maglev') {
      bad('hash-by', `hash-by needs load-balance maglev, but load-balance is "${lb}"; ignored`);
      hashBy = undefined;
    } else loadBalance = 'maglev';
  }
  if (loadBalance === 'maglev' && hashBy === undefined) hashBy = { kind: 'client-ip' };

  let retries = DEFAULT_POLICY.retries;
  const rt = get('retries');
  if (rt !== undefined) {
    if (/^\d+$/.test(rt) && Number(rt) <= 10) retries = Number(rt);
    else bad('retries', `"${rt}" is not an integer 0..10; using ${retries}`);
  }

  let protocol: BackendProtocol = DEFAULT_POLICY.protocol;
  const bp = get('backend-protocol');
  if (bp !== undefined) {
    const v = bp.toLowerCase();
    if (v === 'http' || v === 'http1') protocol = 'http1';
    else if (v === 'h2c' || v === 'grpc') protocol = v;
    else bad('backend-protocol', `"${bp}" is not one of http, h2c, grpc; using http`);
  }

  let healthCheck: HealthCheck | undefined;
  const hcPath = get('health-check-path');
  if (hcPath !== undefined) {
    if (!hcPath.startsWith('/')) bad('health-check-path', `"${hcPath}" must start with /; active health checks off`);
    else {
      const hc = { ...HEALTH_DEFAULTS, path: hcPath };
      const dur = (name: string, key: 'intervalMs' | 'timeoutMs') => {
        const raw = get(name);
        if (raw === undefined) return;
        const ms = parseDuration(raw);
        if (ms === undefined || ms <= 0) bad(name, `"${raw}" is not a duration like 5s or 500ms; using ${hc[key]}ms`);
        else hc[key] = ms;
      };
      const count = (name: string, key: 'healthyThreshold' | 'unhealthyThreshold') => {
        const raw = get(name);
        if (raw === undefined) return;
        if (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 100) hc[key] = Number(raw);
        else bad(name, `"${raw}" is not an integer 1..100; using ${hc[key]}`);
      };
      dur('health-check-interval', 'intervalMs');
      dur('health-check-timeout', 'timeoutMs');
      count('health-check-healthy-threshold', 'healthyThreshold');
      count('health-check-unhealthy-threshold', 'unhealthyThreshold');
      healthCheck = Object.freeze(hc);
    }
  }

  let sslRedirect = DEFAULT_POLICY.sslRedirect;
  const sr = get('ssl-redirect');
  if (sr !== undefined) {
    if (sr === 'true' || sr === 'false') sslRedirect = sr === 'true';
    else bad('ssl-redirect', `"${sr}" is not true or false; using true`);
  }

  let hsts: string | undefined;
  const hs = get('hsts');
  if (hs !== undefined) {
    if (hs === 'true') hsts = DEFAULT_HSTS;
    else if (hs === 'false') hsts = undefined;
    else if (/^max-age=\d+(\s*;\s*(includeSubDomains|preload))*$/i.test(hs)) hsts = hs;
    else bad('hsts', `"${hs}" is not true, false or a Strict-Transport-Security value like "max-age=31536000; includeSubDomains"`);
  }

  for (const name of Object.keys(annotations)) {
    if (name.startsWith(ANNOTATION_PREFIX) && !KNOWN.has(name.slice(ANNOTATION_PREFIX.length))) {
      bad(name.slice(ANNOTATION_PREFIX.length), 'unknown annotation; ignored (check the spelling)');
    }
  }

  const policy: RoutePolicy = Object.freeze({ loadBalance, hashBy, retries, protocol, healthCheck, sslRedirect, hsts, traffic: EMPTY_TRAFFIC_POLICY });
  return { policy, problems };
}

const KNOWN = new Set([
  'load-balance', 'hash-by', 'retries', 'backend-protocol', 'ssl-redirect', 'hsts',
  'health-check-path', 'health-check-interval', 'health-check-timeout',
  'health-check-healthy-threshold', 'health-check-unhealthy-threshold',
]);
