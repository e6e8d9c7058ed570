import type { AppliedTable } from '../control/reconciler.ts';
import type { HealthState } from '../proxy/health/types.ts';
import type { Diagnostic } from '../routing/types.ts';
import type { EventIdentity, Outcome, Severity } from './request-event.ts';
import type { UlidGenerator } from './ulid.ts';

/**
 * What the health checker reports when an endpoint changes state: the input of `rauta.backends`
 * events. Active probes and passive outlier detection both use it.
 */
export interface BackendHealthChange {
  readonly namespace: string;
  readonly service: string;
  readonly endpoint: { readonly ip: string; readonly port: number; readonly pod?: string; readonly podUid?: string; readonly node?: string; readonly zone?: string };
  /** The same three words everywhere (log, /backends, web UI, metrics): see HealthState. */
  readonly previous: 'unknown' | HealthState;
  readonly current: HealthState;
  readonly check: 'active' | 'passive';
  /** Short stable reason: ProbeFailed, ProbeTimeout, ConsecutiveErrors, ProbePassed… */
  readonly reason: string;
  readonly message?: string;
  /** When the change was decided; defaults to now. */
  readonly at?: Date;
}

interface Envelope<T extends string, D> {
  readonly id: string;
  readonly timestamp: string;
  readonly source: 'rauta';
  readonly type: T;
  readonly protocol_version: '1.0' | '1.1';
  readonly severity: Severity;
  readonly outcome: Outcome;
  readonly context: {
    readonly cluster?: string;
    readonly namespace?: string;
    readonly node?: string;
    readonly entities: readonly { kind: string; id: string; name: string }[];
    readonly correlation_keys: readonly string[];
  };
  readonly data: D;
}

export type BackendEvent = Envelope<'backend.health_changed', Record<string, unknown>>;
export type ConfigEvent = Envelope<'config.applied' | 'config.ingress_rejected', Record<string, unknown>>;

/** Builds `rauta.backends` and `rauta.config` events (schemas/backend-event.v1.json, config-event.v1.json). */
export class ControlEventBuilder {
  private readonly ids: UlidGenerator;
  private readonly identity: EventIdentity;

  constructor(ids: UlidGenerator, identity: EventIdentity) {
    this.ids = ids;
    this.identity = identity;
  }

  private base(namespace: string | undefined) {
    return {
      id: this.ids.next(),
      source: 'rauta' as const,
      protocol_version: '1.0' as const,
      cluster: this.identity.cluster === '' ? undefined : this.identity.cluster,
      node: this.identity.node === '' ? undefined : this.identity.node,
      namespace,
    };
  }

  backendChange(c: BackendHealthChange): BackendEvent {
    const b = this.base(c.namespace);
    const serviceId = `${c.namespace}/${c.service}`;
    const entities = [{ kind: 'service', id: serviceId, name: c.service }];
    const keys = [`service:${serviceId}`, `pod_ip:${c.endpoint.ip}`];
    if (c.endpoint.pod !== undefined) {
      entities.push({ kind: 'pod', id: c.endpoint.podUid ?? `${c.namespace}/${c.endpoint.pod}`, name: c.endpoint.pod });
      keys.push(`pod:${c.namespace}/${c.endpoint.pod}`);
    }
    const unhealthy = c.current !== 'healthy';
    return {
      id: b.id,
      timestamp: (c.at ?? new Date()).toISOString(),
      source: b.source,
      type: 'backend.health_changed',
      // 1.1: `current`/`previous` may be `ejected` (passive detection); 1.0 called it `unhealthy`.
      protocol_version: '1.1',
      severity: unhealthy ? 'warning' : 'info',
      outcome: unhealthy ? (/timeout/i.test(c.reason) ? 'timeout' : 'failure') : 'success',
      context: { cluster: b.cluster, namespace: c.namespace, node: b.node, entities, correlation_keys: keys },
      data: {
        service: c.service,
        endpoint: { ip: c.endpoint.ip, port: c.endpoint.port, pod: c.endpoint.pod, node: c.endpoint.node, zone: c.endpoint.zone },
        previous: c.previous,
        current: c.current,
        check: c.check,
        reason: c.reason,
        message: c.message,
      },
    };
  }

  configApplied(a: AppliedTable): ConfigEvent {
    const b = this.base(undefined);
    const errors = a.table.diagnostics.filter((d) => d.severity === 'error').length;
    return {
      id: b.id,
      timestamp: a.appliedAt,
      source: b.source,
      type: 'config.applied',
      protocol_version: b.protocol_version,
      severity: errors > 0 ? 'warning' : 'info',
      outcome: 'success',
      context: { cluster: b.cluster, node: b.node, entities: [], correlation_keys: [`config_fingerprint:${a.fingerprint}`] },
      data: {
        fingerprint: a.fingerprint,
        routes: a.table.routes.length,
        ingresses: a.table.ingresses.length,
        diagnostics: a.table.diagnostics.length,
        translate_ms: Math.round(a.durationMs * 1000) / 1000,
      },
    };
  }

  ingressRejected(d: Diagnostic): ConfigEvent {
    const b = this.base(d.namespace === '' ? undefined : d.namespace);
    const id = `${d.namespace}/${d.ingress}`;
    const hasIngress = d.ingress !== '';
    // Gateway API objects report under their own kind; Ingress events stay exactly as they were.
    const entity = d.kind === undefined ? 'ingress' : (d.kind.toLowerCase() as 'gatewayclass' | 'gateway' | 'httproute' | 'grpcroute');
    return {
      id: b.id,
      timestamp: new Date().toISOString(),
      source: b.source,
      type: 'config.ingress_rejected',
      protocol_version: b.protocol_version,
      severity: d.severity === 'error' ? 'error' : 'warning',
      outcome: 'failure',
      context: {
        cluster: b.cluster, namespace: b.namespace, node: b.node,
        entities: hasIngress ? [{ kind: entity, id, name: d.ingress }] : [],
        correlation_keys: hasIngress ? [`${entity}:${id}`] : [],
      },
      data: { ingress: d.ingress, ...(d.kind !== undefined ? { kind: d.kind } : {}), reason: d.reason, message: d.message, field: d.field, diagnostic_severity: d.severity },
    };
  }
}
