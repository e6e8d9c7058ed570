import { X509Certificate } from 'node:crypto';
import type { GatewayClassStatusEntry, ListenerStatusEntry, RouteGroupKind, StatusCondition } from '../../routing/gateway-status.ts';
import { Reasons } from '../../routing/reasons.ts';
import type { TlsCertificate } from '../../routing/types.ts';
import { GATEWAY_GROUP, type Gateway, type GatewayClass, type LabelSelector, type Listener } from '../../sources/gateway-objects.ts';
import type { CertificateResult } from '../tls.ts';
import type { GatewayReporter } from './report.ts';
import type { ReferenceGrants } from './references.ts';
import { cond, int, list, nsOf, str, validHostname } from './values.ts';

export type RouteKindName = 'HTTPRoute' | 'GRPCRoute';
const ROUTE_KINDS: readonly RouteKindName[] = ['HTTPRoute', 'GRPCRoute'];

/** A listener as attachment sees it. `usable` listeners are served; the others still take part in status. */
export interface ListenerInfo {
  readonly gatewayNamespace: string;
  readonly gatewayName: string;
  readonly name: string;
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** Lower-case; undefined = any host. */
  readonly hostname: string | undefined;
  readonly from: 'Same' | 'All' | 'Selector';
  readonly selector: LabelSelector | undefined;
  readonly kinds: ReadonlySet<RouteKindName>;
  readonly usable: boolean;
  attachedRoutes: number;
}

export interface GatewayInfo {
  readonly gateway: Gateway;
  readonly namespace: string;
  readonly name: string;
  /** Every listener with a name, whether or not it can be served (sectionName may still name it). */
  readonly listeners: ListenerInfo[];
  readonly listenerStatus: Map<string, { supportedKinds: RouteGroupKind[]; conditions: StatusCondition[] }>;
  readonly conditions: StatusCondition[];
}

/** GatewayClasses whose controllerName is ours; each gets `Accepted`. */
export function ourClasses(classes: readonly GatewayClass[], controllerName: string): { names: Set<string>; status: GatewayClassStatusEntry[] } {
  const names = new Set<string>();
  const status: GatewayClassStatusEntry[] = [];
  for (const c of classes) {
    if (str(c.spec?.controllerName) !== controllerName) continue;
    names.add(c.metadata.name);
    status.push({ name: c.metadata.name, generation: c.metadata.generation, conditions: [cond('Accepted', true, 'Accepted', 'RAUTA serves Gateways of this class')] });
  }
  return { names, status };
}

interface ListenerContext {
  readonly readSecret: (ref: string) => CertificateResult;
  readonly grants: ReferenceGrants;
  readonly certificates: TlsCertificate[];
  readonly report: GatewayReporter;
}

/**
 * A Gateway's listeners → ListenerInfos and their status. HTTP listeners are served on RAUTA's HTTP
 * port and HTTPS listeners (TLS Terminate) on its HTTPS port, whatever port they name; other protocols
 * are refused with UnsupportedProtocol so the user sees why nothing attaches.
 */
export function readGateway(gw: Gateway, ctx: ListenerContext): GatewayInfo {
  const namespace = nsOf(gw.metadata);
  const name = gw.metadata.name;
  const listeners: ListenerInfo[] = [];
  const listenerStatus = new Map<string, { supportedKinds: RouteGroupKind[]; conditions: StatusCondition[] }>();
  const diag = ctx.report.forObject('Gateway', namespace, name);
  const seen = new Map<string, string>(); // `port|hostname` → protocol, for conflicts

  list(gw.spec?.listeners).forEach((l: Listener, i) => {
    const lname = str(l.name);
    const field = `spec.listeners[${i}]`;
    if (lname === undefined || lname === '' || listenerStatus.has(lname)) {
      diag('error', Reasons.UnsupportedValue, `listener ${i} has no name or a duplicate one; ignored`, field);
      return;
    }
    const protocol = str(l.protocol) ?? '';
    const port = int(l.port) ?? 0;
    const rawHost = str(l.hostname);
    const hostname = rawHost === undefined || rawHost === '' ? undefined : rawHost.toLowerCase();
    const conditions: StatusCondition[] = [];
    let accepted = true;
    let acceptedReason = 'Accepted';
    let acceptedMessage = 'listener accepted';
    let resolved = true;
    let resolvedReason = 'ResolvedRefs';
    let resolvedMessage = 'all references resolved';
    let conflicted: string | undefined;

    if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
      accepted = false;
      acceptedReason = Reasons.UnsupportedProtocol;
      acceptedMessage = `protocol ${protocol || '(none)'} is not supported: RAUTA serves HTTP and HTTPS (TLS terminate) listeners`;
      diag('error', Reasons.UnsupportedProtocol, `listener ${lname}: ${acceptedMessage}`, `${field}.protocol`);
    } else if (port < 1 || port > 65535) {
      accepted = false;
      acceptedReason = Reasons.UnsupportedValue;
      acceptedMessage = `port ${String(l.port)} is not a port number`;
    } else if (hostname !== undefined && !validHostname(hostname)) {
      accepted = false;
      acceptedReason = Reasons.UnsupportedValue;
      acceptedMessage = `hostname "${rawHost}" is not a DNS name or *.wildcard`;
    }

    // Route kinds: the listener's list, or every kind RAUTA serves on HTTP(S).
    const supported: RouteKindName[] = [];
    const wanted = l.allowedRoutes?.kinds;
    if (Array.isArray(wanted) && wanted.length > 0) {
      for (const k of wanted) {
        const group = str(k.group) ?? GATEWAY_GROUP;
        const kind = str(k.kind) as RouteKindName | undefined;
        if (group === GATEWAY_GROUP && kind !== undefined && ROUTE_KINDS.includes(kind)) {
          if (!supported.includes(kind)) supported.push(kind);
        } else {
          resolved = false;
          resolvedReason = Reasons.InvalidRouteKinds;
          resolvedMessage = `route kind ${group}/${String(k.kind)} is not supported (HTTPRoute, GRPCRoute are)`;
        }
      }
    } else if (accepted) {
      supported.push(...ROUTE_KINDS);
    }

    if (accepted && protocol === 'HTTPS') {
      const tls = l.tls;
      const mode = str(tls?.mode) ?? 'Terminate';
      if (mode !== 'Terminate') {
        accepted = false;
        acceptedReason = Reasons.UnsupportedProtocol;
        acceptedMessage = `TLS mode ${mode} is not supported on HTTPS listeners: RAUTA terminates TLS`;
      } else {
        const problem = readCertificates(namespace, hostname, list(tls?.certificateRefs), ctx);
        if (problem !== undefined) {
          resolved = false;
          resolvedReason = problem.reason;
          resolvedMessage = problem.message;
          diag('error', problem.reason, `listener ${lname}: ${problem.message}`, `${field}.tls.certificateRefs`);
        }
      }
    }

    if (accepted) {
      const key = `${port}|${hostname ?? ''}`;
      const other = seen.get(key);
      if (other !== undefined) conflicted = other === protocol ? Reasons.HostnameConflict : Reasons.ProtocolConflict;
      else seen.set(key, protocol);
    }

    const usable = accepted && resolved && conflicted === undefined;
    conditions.push(cond('Accepted', accepted, acceptedReason, acceptedMessage));
    conditions.push(cond('ResolvedRefs', resolved, resolvedReason, resolvedMessage));
    conditions.push(conflicted === undefined
      ? cond('Conflicted', false, 'NoConflicts', 'no conflicting listener')
      : cond('Conflicted', true, conflicted, `another listener of this Gateway already uses port ${port} and hostname ${hostname ?? '(any)'}`));
    conditions.push(usable ? cond('Programmed', true, 'Programmed', 'listener is served') : cond('Programmed', false, 'Invalid', 'listener is not served: see the other conditions'));
    listenerStatus.set(lname, { supportedKinds: supported.map((kind) => ({ group: GATEWAY_GROUP, kind })), conditions });

    const from = str(l.allowedRoutes?.namespaces?.from) ?? 'Same';
    listeners.push({
      gatewayNamespace: namespace,
      gatewayName: name,
      name: lname,
      port,
      protocol: protocol === 'HTTPS' ? 'HTTPS' : 'HTTP',
      hostname,
      from: from === 'All' || from === 'Selector' ? from : 'Same',
      selector: l.allowedRoutes?.namespaces?.selector,
      kinds: new Set(supported),
      usable,
      attachedRoutes: 0,
    });
  });

  const conditions: StatusCondition[] = [];
  const addresses = list(gw.spec?.addresses);
  if (addresses.length > 0) {
    // RAUTA's addresses are those of its own Service; it cannot take on requested ones.
    conditions.push(cond('Accepted', false, Reasons.UnsupportedAddress, 'spec.addresses is not supported: RAUTA publishes the addresses of its own Service'));
    conditions.push(cond('Programmed', false, 'Invalid', 'the Gateway is not accepted'));
    diag('error', Reasons.UnsupportedAddress, 'spec.addresses is not supported; Gateway not served', 'spec.addresses');
    for (const l of listeners) (l as { usable: boolean }).usable = false;
  } else {
    const invalid = listeners.filter((l) => !l.usable).length + (list(gw.spec?.listeners).length - listeners.length);
    conditions.push(invalid === 0 ? cond('Accepted', true, 'Accepted', 'Gateway accepted') : cond('Accepted', true, 'ListenersNotValid', `${invalid} listener(s) are not valid`));
    conditions.push(cond('Programmed', true, 'Programmed', 'Gateway is served'));
  }
  return { gateway: gw, namespace, name, listeners, listenerStatus, conditions };
}

/** Listener status as written: attachedRoutes is known once routes have attached. */
export function listenerStatusOf(info: GatewayInfo): ListenerStatusEntry[] {
  return [...info.listenerStatus].map(([name, s]) => ({
    name,
    supportedKinds: s.supportedKinds,
    attachedRoutes: info.listeners.find((l) => l.name === name)?.attachedRoutes ?? 0,
    conditions: s.conditions,
  }));
}

/** Reads an HTTPS listener's certificateRefs into certificates; returns the first problem. */
function readCertificates(
  gwNamespace: string,
  hostname: string | undefined,
  refs: readonly { group?: string; kind?: string; name?: string; namespace?: string }[],
  ctx: ListenerContext,
): { reason: typeof Reasons.InvalidCertificateRef | typeof Reasons.RefNotPermitted; message: string } | undefined {
  if (refs.length === 0) return { reason: Reasons.InvalidCertificateRef, message: 'an HTTPS listener needs tls.certificateRefs' };
  for (const ref of refs) {
    const group = str(ref.group) ?? '';
    const kind = str(ref.kind) ?? 'Secret';
    const name = str(ref.name) ?? '';
    const namespace = str(ref.namespace) ?? gwNamespace;
    if (group !== '' || kind !== 'Secret') return { reason: Reasons.InvalidCertificateRef, message: `certificateRef ${group}/${kind} ${name}: only core Secrets are supported` };
    if (!ctx.grants.allows({ group: GATEWAY_GROUP, kind: 'Gateway', namespace: gwNamespace }, { group: '', kind: 'Secret', namespace, name })) {
      return { reason: Reasons.RefNotPermitted, message: `Secret ${namespace}/${name} is in another namespace and no ReferenceGrant allows it` };
    }
    const id = `${namespace}/${name}`;
    const result = ctx.readSecret(id);
    if (!result.ok) return { reason: Reasons.InvalidCertificateRef, message: result.message };
    const hosts = hostname !== undefined ? [hostname] : certificateNames(result.cert);
    if (!ctx.certificates.some((c) => c.id === id && c.hosts.join(',') === hosts.join(','))) {
      ctx.certificates.push(Object.freeze({ id, hosts: Object.freeze(hosts), cert: result.cert, key: result.key }));
    }
  }
  return undefined;
}

/** A listener without hostname serves its certificate for the DNS names the certificate is valid for. */
function certificateNames(pem: string): string[] {
  try {
    const san = new X509Certificate(pem).subjectAltName ?? '';
    return san.split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase()).filter(validHostname);
  } catch {
    return [];
  }
}
