import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GatewayStatusReport, StatusCondition } from '../routing/gateway-status.ts';
import { GATEWAY_GROUP } from '../sources/gateway-objects.ts';
import type { LoadBalancerIngress, ObjectMeta, ObjectSet } from '../sources/object-set.ts';

/** A condition as the API stores it. */
interface StoredCondition extends StatusCondition {
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}

/** One status write: the whole `status` of an object, guarded by the resourceVersion it was computed from. */
export interface GatewayStatusChange {
  readonly plural: 'gatewayclasses' | 'gateways' | 'httproutes' | 'grpcroutes';
  readonly version: string;
  /** Undefined for GatewayClasses (cluster-scoped). */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly resourceVersion: string | undefined;
  readonly status: Record<string, unknown>;
}

type Obj = { apiVersion?: string; metadata: ObjectMeta; status?: Record<string, unknown> };

const versionOf = (o: Obj): string => (o.apiVersion?.startsWith(`${GATEWAY_GROUP}/`) ? o.apiVersion.slice(GATEWAY_GROUP.length + 1) : 'v1');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Conditions as they should be stored: each with the object's generation, and a lastTransitionTime
 * that only moves when the condition's status changes. Conditions of other types (another party's)
 * are kept as they are.
 */
function conditions(wanted: readonly StatusCondition[], current: unknown, generation: number | undefined, now: string): StoredCondition[] {
  const existing = Array.isArray(current) ? current.filter(isRecord) : [];
  const out: StoredCondition[] = wanted.map((c) => {
    const before = existing.find((e) => e.type === c.type);
    const since = before !== undefined && before.status === c.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : now;
    return { type: c.type, status: c.status, reason: c.reason, message: c.message.slice(0, 32_768), ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime: since };
  });
  for (const e of existing) if (!wanted.some((c) => c.type === e.type)) out.push(e as unknown as StoredCondition);
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function addressesOf(list: readonly LoadBalancerIngress[] | undefined): { type: string; value: string }[] {
  return (list ?? []).map((a) => (a.ip !== undefined ? { type: 'IPAddress', value: a.ip } : { type: 'Hostname', value: a.hostname ?? '' }));
}

/**
 * What to write so the cluster shows `report`. Only what differs from the cached status is written;
 * a route's `status.parents` entries of other controllers are kept untouched, and RAUTA's own entries
 * for parents it no longer serves are removed. `addresses` undefined: not known (yet).
 */
export function gatewayStatusChanges(report: GatewayStatusReport | undefined, objects: ObjectSet, addresses: readonly LoadBalancerIngress[] | undefined, now: string): GatewayStatusChange[] {
  const changes: GatewayStatusChange[] = [];
  const controller = report?.controllerName;
  if (report === undefined || controller === undefined) return changes;
  const push = (plural: GatewayStatusChange['plural'], o: Obj, status: Record<string, unknown>) => {
    changes.push({ plural, version: versionOf(o), namespace: plural === 'gatewayclasses' ? undefined : (o.metadata.namespace ?? 'default'), name: o.metadata.name, resourceVersion: o.metadata.resourceVersion, status });
  };

  for (const c of report.classes) {
    const o = (objects.gatewayClasses ?? []).find((x) => x.metadata.name === c.name);
    if (o === undefined) continue;
    const status = { ...(o.status ?? {}), conditions: conditions(c.conditions, o.status?.conditions, c.generation, now) };
    if (!same(status, o.status)) push('gatewayclasses', o, status);
  }

  for (const g of report.gateways) {
    const o = (objects.gateways ?? []).find((x) => x.metadata.name === g.name && (x.metadata.namespace ?? 'default') === g.namespace);
    if (o === undefined) continue;
    const addr = addressesOf(addresses);
    // Programmed needs an address clients can use; without one, say so.
    const wanted = g.conditions.map((c) => (c.type === 'Programmed' && c.status === 'True' && addr.length === 0
      ? { type: 'Programmed', status: 'False' as const, reason: 'AddressNotAssigned', message: 'no address known yet: set RAUTA_PUBLISH_STATUS_ADDRESS or RAUTA_PUBLISH_SERVICE' }
      : c));
    const currentListeners = Array.isArray(o.status?.listeners) ? (o.status.listeners as unknown[]).filter(isRecord) : [];
    const status = {
      ...(o.status ?? {}),
      addresses: addr,
      conditions: conditions(wanted, o.status?.conditions, g.generation, now),
      listeners: g.listeners.map((l) => ({
        name: l.name,
        supportedKinds: l.supportedKinds,
        attachedRoutes: l.attachedRoutes,
        conditions: conditions(l.conditions, currentListeners.find((c) => c.name === l.name)?.conditions, g.generation, now),
      })),
    };
    if (!same(status, o.status)) push('gateways', o, status);
  }

  const routes: [GatewayStatusChange['plural'], 'HTTPRoute' | 'GRPCRoute', readonly Obj[]][] = [
    ['httproutes', 'HTTPRoute', objects.httpRoutes ?? []],
    ['grpcroutes', 'GRPCRoute', objects.grpcRoutes ?? []],
  ];
  for (const [plural, kind, list] of routes) {
    for (const o of list) {
      const ns = o.metadata.namespace ?? 'default';
      const entry = report.routes.find((r) => r.kind === kind && r.namespace === ns && r.name === o.metadata.name);
      const current = Array.isArray(o.status?.parents) ? (o.status.parents as unknown[]).filter(isRecord) : [];
      const others = current.filter((p) => p.controllerName !== controller);
      const mine = current.filter((p) => p.controllerName === controller);
      if (entry === undefined && mine.length === 0) continue;
      const ours = (entry?.parents ?? []).map((p) => {
        const before = mine.find((m) => same(m.parentRef, p.parentRef));
        return { parentRef: p.parentRef, controllerName: controller, conditions: conditions(p.conditions, before?.conditions, entry?.generation, now) };
      });
      const parents = [...others, ...ours];
      if (!same(parents, current)) push(plural, o, { ...(o.status ?? {}), parents });
    }
  }
  return changes;
}

/** Writes Gateway API status with merge patches on `/status`, each guarded by its resourceVersion. */
export class GatewayStatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly logger: Logger;

  constructor(kc: KubeConfig, logger: Logger) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.logger = logger.child({ component: 'gateway-status' });
  }

  /** `stillAllowed` is asked before each write, so losing leadership stops the batch at once. */
  async apply(changes: readonly GatewayStatusChange[], stillAllowed: () => boolean): Promise<number> {
    let written = 0;
    for (const c of changes) {
      if (!stillAllowed()) break;
      // The resourceVersion makes the write conditional: if someone changed the object since we read
      // it, the API server answers 409 and the next snapshot (which has their change) decides again.
      const body = { metadata: { resourceVersion: c.resourceVersion }, status: c.status };
      const what = `${c.plural} ${c.namespace === undefined ? '' : `${c.namespace}/`}${c.name}`;
      try {
        const opts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
        if (c.namespace === undefined) await this.api.patchClusterCustomObjectStatus({ group: GATEWAY_GROUP, version: c.version, plural: c.plural, name: c.name, body }, opts);
        else await this.api.patchNamespacedCustomObjectStatus({ group: GATEWAY_GROUP, version: c.version, namespace: c.namespace, plural: c.plural, name: c.name, body }, opts);
        written++;
        this.logger.info({ object: what }, 'gateway api status updated');
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 409) this.logger.debug({ object: what }, 'gateway api status changed meanwhile; retried with the next snapshot');
        else this.logger.warn({ object: what, err: (err as Error).message }, 'gateway api status update failed');
      }
    }
    return written;
  }
}
