import { Reasons } from '../../routing/reasons.ts';
import type { Backend, BackendProtocol } from '../../routing/types.ts';
import { GATEWAY_GROUP, type HTTPBackendRef } from '../../sources/gateway-objects.ts';
import type { Service } from '../../sources/object-set.ts';
import type { BackendResolver } from '../backends.ts';
import type { ReferenceGrants } from './references.ts';
import { int, str } from './values.ts';

/** Why a backendRef cannot be used, in the spec's ResolvedRefs vocabulary. */
export type RefProblemReason = typeof Reasons.BackendNotFound | typeof Reasons.InvalidKind | typeof Reasons.RefNotPermitted | typeof Reasons.UnsupportedValue;

export interface ResolvedRef {
  readonly backend: Backend;
  readonly weight: number;
  /** From the Service port's appProtocol (kubernetes.io/h2c), when it says more than HTTP/1.1. */
  readonly protocol: BackendProtocol | undefined;
  readonly problem?: { readonly reason: RefProblemReason; readonly message: string };
}

export interface BackendRefContext {
  readonly resolver: BackendResolver;
  readonly services: ReadonlyMap<string, Service>;
  readonly grants: ReferenceGrants;
}

/** A backend that answers 500: the spec's answer for a backendRef that cannot be resolved. */
function invalid(id: string, namespace: string, name: string, port: string, reason: RefProblemReason, message: string): Backend {
  return Object.freeze({ id, namespace, service: name, servicePort: port, endpoints: Object.freeze([]), unavailable: Object.freeze({ reason, message, status: 500 as const }) });
}

/**
 * One backendRef → a backend (or a 500 stand-in with the reason), its weight and protocol. Only core
 * Services are supported; a reference into another namespace needs a ReferenceGrant there.
 */
export function resolveBackendRef(ref: HTTPBackendRef, routeKind: string, routeNamespace: string, ctx: BackendRefContext): ResolvedRef {
  const group = str(ref.group) ?? '';
  const kind = str(ref.kind) ?? 'Service';
  const name = str(ref.name) ?? '';
  const namespace = str(ref.namespace) ?? routeNamespace;
  const port = int(ref.port);
  const rawWeight = ref.weight === undefined ? 1 : int(ref.weight);
  const weight = rawWeight === undefined || rawWeight < 0 ? 0 : Math.min(rawWeight, 1_000_000);
  const id = `${namespace}/${name}:${port ?? ''}`;
  const fail = (reason: RefProblemReason, message: string): ResolvedRef => ({ backend: invalid(id, namespace, name, String(port ?? ''), reason, message), weight, protocol: undefined, problem: { reason, message } });

  if (group !== '' || kind !== 'Service') return fail(Reasons.InvalidKind, `backendRef ${group}/${kind} ${name}: only core Services are supported`);
  if (name === '') return fail(Reasons.UnsupportedValue, 'backendRef has no name');
  if (port === undefined || port < 1 || port > 65535) return fail(Reasons.UnsupportedValue, `backendRef to Service ${namespace}/${name} needs a port`);
  if (!ctx.grants.allows({ group: GATEWAY_GROUP, kind: routeKind, namespace: routeNamespace }, { group: '', kind: 'Service', namespace, name })) {
    return fail(Reasons.RefNotPermitted, `Service ${namespace}/${name} is in another namespace and no ReferenceGrant allows it`);
  }
  const backend = ctx.resolver.resolve(namespace, { service: { name, port: { number: port } } });
  if (backend.unavailable !== undefined) {
    const reason = backend.unavailable.reason === Reasons.UnsupportedService ? Reasons.UnsupportedValue : Reasons.BackendNotFound;
    return fail(reason, backend.unavailable.message);
  }
  const appProtocol = ctx.services.get(`${namespace}/${name}`)?.spec?.ports?.find((p) => p.port === port)?.appProtocol;
  const protocol: BackendProtocol | undefined = appProtocol === 'kubernetes.io/h2c' ? 'h2c' : undefined;
  return { backend, weight, protocol };
}
