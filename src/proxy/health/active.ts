import { request } from 'node:http';
import type { Endpoint, HealthCheck } from '../../routing/types.ts';
import { Limiter } from './limiter.ts';

export interface ProbeTarget {
  readonly endpoint: Endpoint;
  readonly check: HealthCheck;
}

export interface ActiveOptions {
  /** Probes in flight at once, over all endpoints. */
  readonly concurrency: number;
  readonly random?: () => number;
}

interface Probe {
  target: ProbeTarget;
  successes: number;
  failures: number;
  unhealthy: boolean;
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
  abort: AbortController;
}

/** Called after an endpoint's active verdict flipped (it became unhealthy, or healthy again). */
export type ProbeChange = (key: string, reason: string) => void;

/**
 * Active health checks (opt-in per Ingress with `rauta.io/health-check-path`): an HTTP GET per endpoint
 * every interval (±10 % jitter, first probe at a random point of the first interval, so probes of many
 * endpoints never fire in lockstep). 2xx/3xx within the timeout is a success. `unhealthyThreshold`
 * consecutive failures mark the endpoint unhealthy, `healthyThreshold` consecutive successes bring it
 * back. Endpoints start healthy: Kubernetes already said they are ready. A probe stops as soon as its
 * endpoint leaves the route table, its in-flight request aborted.
 */
export class ActiveProber {
  private readonly probes = new Map<string, Probe>();
  /** Unhealthy probes per endpoint key: the request path reads this, so it is O(1). */
  private readonly unhealthy = new Map<string, number>();
  private readonly limiter: Limiter;
  private readonly random: () => number;
  private readonly changed: ProbeChange;

  constructor(opts: ActiveOptions, changed: ProbeChange) {
    this.limiter = new Limiter(opts.concurrency);
    this.random = opts.random ?? Math.random;
    this.changed = changed;
  }

  /** Unhealthy when any probe of this endpoint (several routes may check it differently) says so. */
  isUnhealthy(key: string): boolean {
    return this.unhealthy.has(key);
  }

  /** Makes `targets` (by id) the probed set: new ones start, missing ones stop, kept ones keep state. */
  update(targets: ReadonlyMap<string, ProbeTarget>): void {
    for (const [id, probe] of this.probes) {
      if (targets.has(id)) continue;
      this.stopProbe(probe);
      this.setUnhealthy(probe, false);
      this.probes.delete(id);
    }
    for (const [id, target] of targets) {
      const existing = this.probes.get(id);
      if (existing) {
        existing.target = target;
        continue;
      }
      const probe: Probe = { target, successes: 0, failures: 0, unhealthy: false, stopped: false, timer: undefined, abort: new AbortController() };
      this.probes.set(id, probe);
      this.schedule(probe, this.random() * target.check.intervalMs);
    }
  }

  stop(): void {
    for (const p of this.probes.values()) this.stopProbe(p);
    this.probes.clear();
    this.unhealthy.clear();
  }

  private setUnhealthy(p: Probe, unhealthy: boolean): void {
    if (p.unhealthy === unhealthy) return;
    p.unhealthy = unhealthy;
    const key = p.target.endpoint.key;
    const n = (this.unhealthy.get(key) ?? 0) + (unhealthy ? 1 : -1);
    if (n > 0) this.unhealthy.set(key, n);
    else this.unhealthy.delete(key);
  }

  private stopProbe(p: Probe): void {
    p.stopped = true;
    clearTimeout(p.timer);
    p.abort.abort();
  }

  private schedule(p: Probe, delayMs: number): void {
    p.timer = setTimeout(() => void this.run(p), delayMs);
    p.timer.unref();
  }

  private async run(p: Probe): Promise<void> {
    if (p.stopped) return;
    const result = await this.limiter.run(() => (p.stopped ? Promise.resolve(undefined) : probeOnce(p.target, p.abort.signal)));
    if (p.stopped || result === undefined) return;
    const key = p.target.endpoint.key;
    const { check } = p.target;
    const wasUnhealthy = this.isUnhealthy(key);
    if (result.ok) {
      p.failures = 0;
      p.successes++;
      if (p.unhealthy && p.successes >= check.healthyThreshold) this.setUnhealthy(p, false);
    } else {
      p.successes = 0;
      p.failures++;
      if (!p.unhealthy && p.failures >= check.unhealthyThreshold) this.setUnhealthy(p, true);
    }
    if (this.isUnhealthy(key) !== wasUnhealthy) {
      this.changed(key, result.ok
        ? `${p.successes} consecutive passing probes of ${check.path}`
        : `${p.failures} consecutive failing probes of ${check.path} (last: ${result.detail})`);
    }
    this.schedule(p, check.intervalMs * (0.9 + 0.2 * this.random()));
  }
}

/** One GET over a fresh connection (as the kubelet probes): a pooled socket could hide a dead pod. */
function probeOnce(target: ProbeTarget, signal: AbortSignal): Promise<{ ok: boolean; detail: string }> {
  const { endpoint, check } = target;
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ok, detail });
    };
    const req = request({
      host: endpoint.ip,
      port: endpoint.port,
      path: check.path,
      method: 'GET',
      agent: false,
      signal,
      headers: { host: endpoint.key, 'user-agent': 'rauta-health-check', connection: 'close' },
    }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      finish(status >= 200 && status < 400, `status ${status}`);
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(false, `timeout after ${check.timeoutMs} ms`);
    }, check.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
    req.end();
  });
}
