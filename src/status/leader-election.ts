import { ApiException, CoordinationV1Api, type KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaderElectionOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  /** Others may take the Lease this long after they last saw it renewed. */
  readonly leaseDurationMs: number;
  /** The leader stops acting as leader when its last successful renewal is this old (< leaseDuration). */
  readonly renewDeadlineMs: number;
  /** Interval between renewals and acquisition attempts. */
  readonly retryPeriodMs: number;
  readonly logger: Logger;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate takes the
 * Lease when it is free, or when its holder has not renewed it for leaseDuration *as measured on the
 * candidate's own clock* (from when it last saw renewTime change), so clock skew between replicas does not
 * matter. Writes use the Lease's resourceVersion: two candidates racing get one 409. The leader counts as
 * leader only while its last renewal is younger than renewDeadline, so a partitioned leader stops writing
 * before anyone else may start.
 */
export class LeaderElector {
  private readonly opts: LeaderElectionOptions;
  private readonly api: CoordinationV1Api;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private leading = false;
  private lastRenewAt = 0;
  private observed = '';
  private observedAt = 0;
  private loop: Promise<void> = Promise.resolve();

  constructor(opts: LeaderElectionOptions) {
    this.opts = opts;
    this.api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    this.logger = opts.logger.child({ component: 'leader-election', lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  /** Checked before every write: false the moment the renew deadline passes, even mid-request. */
  get isLeader(): boolean {
    return this.leading && performance.now() - this.lastRenewAt < this.opts.renewDeadlineMs;
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Stops campaigning; a leader releases the Lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.loop;
    if (this.leading) {
      this.setLeading(false);
      try {
        const lease = await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
        if (lease.spec?.holderIdentity === this.opts.identity) {
          lease.spec.holderIdentity = undefined;
          lease.spec.leaseDurationSeconds = 1;
          await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'could not release the lease');
      }
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.loop = this.tick().finally(() => this.schedule(this.opts.retryPeriodMs));
    }, ms);
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      // An attempt is useless once the renew deadline has passed; a hung request must not stall the loop longer.
      ok = await withTimeout(this.tryAcquireOrRenew(), this.opts.renewDeadlineMs);
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'lease request failed');
    }
    if (ok) {
      this.lastRenewAt = performance.now();
      if (!this.leading) this.setLeading(true);
    } else if (this.leading && !this.isLeader) {
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    if (leading) {
      this.logger.info('became leader');
      this.opts.onStartedLeading?.();
    } else {
      this.logger.warn('lost leadership; status writes stop');
      this.opts.onStoppedLeading?.();
    }
  }

  /** One attempt; true when we hold the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity } = this.opts;
    const now = new V1MicroTime();
    const durationSeconds = Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000));
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof ApiException) || err.code !== 404) throw err;
      await this.api.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } },
      }).catch((e: unknown) => {
        if (e instanceof ApiException && e.code === 409) return undefined; // someone else created it first
        throw e;
      });
      const created = await this.api.readNamespacedLease({ name, namespace });
      return created.spec?.holderIdentity === identity;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = `${holder}|${spec.renewTime ? new Date(spec.renewTime).toISOString() : ''}`;
    if (record !== this.observed) {
      this.observed = record;
      this.observedAt = performance.now();
    }
    const heldByOther = holder !== '' && holder !== identity;
    const otherDurationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (heldByOther && performance.now() - this.observedAt < otherDurationMs) {
      if (this.leading) this.setLeading(false); // someone else holds it now: stop at once
      return false;
    }
    const mine = holder === identity;
    lease.spec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return false;
      throw err;
    }
    if (!mine) this.logger.info({ previous: holder || undefined }, 'acquired the lease');
    return true;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
