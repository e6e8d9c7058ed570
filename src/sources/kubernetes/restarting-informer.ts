import { type KubeConfig, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { WatchedKind } from './kinds.ts';
import { RautaError } from '../../errors.ts';

export interface Backoff {
  /** First restart delay after an error (kept under a second so a dropped watch heals quickly). */
  readonly initialMs: number;
  /** Cap: a dead API server is retried every few seconds, not hammered. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 4000 };

/** A list that has not answered by then is abandoned and retried (client-node sets no timeout of its own). */
const LIST_TIMEOUT_MS = 60_000;

export class ListTimeoutError extends RautaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAUTA_ERR_KUBE_LIST_TIMEOUT', message, options);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ListTimeoutError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A client-node informer (list + watch) that keeps itself alive. client-node's ListWatch stops for good
 * on any error (a reset socket, a 5xx, a failed list) and only reports it; this wrapper restarts it with
 * exponential backoff and jitter. A restart resumes the watch from the last resourceVersion; when that is
 * too old, the server answers 410 and ListWatch relists from scratch (deleting what vanished meanwhile).
 */
export class RestartingInformer {
  readonly kind: WatchedKind;
  readonly namespace: string | undefined;
  private readonly informer: ListWatch<KubernetesObject>;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly onChange: () => void;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private erroredSinceStart = false;
  private stopped = false;
  /** True once a list has succeeded: the cache then reflects the cluster. */
  listed = false;

  constructor(kc: KubeConfig, kind: WatchedKind, namespace: string | undefined, onChange: () => void, logger: Logger, backoff: Backoff = DEFAULT_BACKOFF) {
    this.kind = kind;
    this.namespace = namespace;
    this.onChange = onChange;
    this.backoff = backoff;
    this.logger = logger.child({ informer: kind.name, namespace: namespace ?? '*' });
    const listFn = async () => {
      const list = await withTimeout(kind.list(namespace), LIST_TIMEOUT_MS, `list ${kind.name}`);
      this.listed = true;
      this.failures = 0;
      // ListWatch fills its cache right after this promise resolves; the debounced rebuild runs later.
      this.onChange();
      return list;
    };
    this.informer = new ListWatch(kind.path(namespace), new Watch(kc), listFn, false, undefined, kind.fieldSelector, {
      // ListWatch's own reconnect delay (after a watch ends cleanly) grows to 30 s; keep it within our cap.
      // Unref'd: a reconnect pending when RAUTA stops must not keep the process alive.
      delayFn: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, backoff.maxMs)).unref()),
    });
    const changed = () => {
      this.failures = 0;
      this.onChange();
    };
    this.informer.on('add', changed);
    this.informer.on('update', changed);
    this.informer.on('delete', changed);
    this.informer.on('error', (err: unknown) => this.failed(err));
  }

  objects(): readonly KubernetesObject[] {
    return this.informer.list();
  }

  start(): void {
    this.stopped = false;
    this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.informer.stop();
  }

  private run(): void {
    this.erroredSinceStart = false;
    this.informer.start().then(
      () => {
        // start() resolves once the watch request was answered; without an error in between it is live.
        if (!this.erroredSinceStart) this.failures = 0;
      },
      (err: unknown) => this.failed(err),
    );
  }

  private failed(err: unknown): void {
    this.erroredSinceStart = true;
    if (this.stopped || this.restartTimer !== undefined) return;
    const base = Math.min(this.backoff.initialMs * 2 ** this.failures, this.backoff.maxMs);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.failures++;
    const e = err as { message?: string; statusCode?: number; code?: number | string };
    this.logger.warn({ err: e?.message ?? String(err), status: e?.statusCode ?? e?.code, retry_ms: delay, failures: this.failures }, 'informer stopped; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.run();
    }, delay);
  }
}
