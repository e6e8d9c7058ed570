import { createHash } from 'node:crypto';
import { ApiException, EventsV1Api, type KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Diagnostic } from '../routing/types.ts';

export interface EventTarget {
  readonly uid?: string;
}

/**
 * events.k8s.io/v1 Events for rejected Ingresses (diagnostics of severity error). The Event name is
 * derived from the Ingress and the diagnostic, so the same problem is recorded once, whichever replica
 * leads and however often it restarts: a second create gets 409 AlreadyExists and counts as done.
 */
export class EventRecorder {
  private readonly api: EventsV1Api;
  private readonly logger: Logger;
  private readonly controller: string;
  private readonly identity: string;
  private readonly done = new Set<string>();

  constructor(kc: KubeConfig, controller: string, identity: string, logger: Logger) {
    this.api = kc.makeApiClient(EventsV1Api);
    this.controller = controller;
    this.identity = identity;
    this.logger = logger.child({ component: 'events' });
  }

  static key(d: Diagnostic): string {
    return `${d.namespace}/${d.ingress}|${d.reason}|${d.field ?? ''}|${d.message}`;
  }

  /** A diagnostic that (re)appeared: record it again if it is still current at the next flush. */
  forget(d: Diagnostic): void {
    this.done.delete(EventRecorder.key(d));
  }

  /** Records every current error diagnostic not yet recorded; `stillAllowed` is asked before each write. */
  async flush(diagnostics: readonly Diagnostic[], target: (d: Diagnostic) => EventTarget | undefined, stillAllowed: () => boolean): Promise<void> {
    for (const d of diagnostics) {
      if (d.severity !== 'error' || d.ingress === '') continue;
      const key = EventRecorder.key(d);
      if (this.done.has(key)) continue;
      const t = target(d);
      if (t === undefined) continue; // the Ingress is gone
      if (!stillAllowed()) return;
      const name = `${d.ingress}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}`.slice(0, 253);
      try {
        await this.api.createNamespacedEvent({
          namespace: d.namespace,
          body: {
            metadata: { name, namespace: d.namespace },
            eventTime: new V1MicroTime(),
            reportingController: this.controller,
            reportingInstance: this.identity,
            action: 'Route',
            reason: d.reason,
            note: d.field ? `${d.field}: ${d.message}` : d.message,
            type: 'Warning',
            regarding: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: d.namespace, name: d.ingress, uid: t.uid },
          },
        });
        this.done.add(key);
        this.logger.info({ ingress: `${d.namespace}/${d.ingress}`, reason: d.reason }, 'event recorded');
      } catch (err) {
        if (err instanceof ApiException && err.code === 409) this.done.add(key);
        else this.logger.warn({ ingress: `${d.namespace}/${d.ingress}`, err: (err as Error).message }, 'event not recorded');
      }
    }
  }
}
