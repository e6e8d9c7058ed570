import { wildcardSuffix } from '../../routing/host.ts';
import type { ParentReference, StatusCondition } from '../../routing/gateway-status.ts';
import { Reasons } from '../../routing/reasons.ts';
import { GATEWAY_GROUP, type ParentRef } from '../../sources/gateway-objects.ts';
import type { GatewayInfo, ListenerInfo, RouteKindName } from './listeners.ts';
import { selectorMatches } from './references.ts';
import { cond, int, str, validHostname } from './values.ts';

/** Where one route is served: a listener, and the hosts it serves there. */
export interface Attachment {
  readonly listener: ListenerInfo;
  /** Lower-case hosts ('' = any, `*.x` = Gateway wildcard). */
  readonly hosts: readonly string[];
}

export interface ParentResult {
  readonly parentRef: ParentReference;
  readonly attachments: readonly Attachment[];
  /** The `Accepted` condition for this parent. */
  readonly accepted: StatusCondition;
}

/** `*.example.com` covers `a.example.com` and `a.b.example.com` (Gateway API wildcards span labels). */
function covers(wildcard: string, host: string): boolean {
  const suffix = wildcardSuffix(wildcard);
  return suffix !== undefined && host.endsWith(`.${suffix}`) && host.length > suffix.length + 1;
}

/**
 * The hosts a route serves on a listener: the intersection of the route's hostnames with the
 * listener's (Gateway API "hostname matching"); the more specific name of each matching pair wins.
 */
export function intersectHosts(routeHosts: readonly string[], listenerHost: string | undefined): string[] {
  if (routeHosts.length === 0) return [listenerHost ?? ''];
  if (listenerHost === undefined) return [...routeHosts];
  const out = new Set<string>();
  for (const h of routeHosts) {
    if (h === listenerHost) out.add(h);
    else if (covers(listenerHost, h)) out.add(h);
    else if (covers(h, listenerHost)) out.add(listenerHost);
    else if (wildcardSuffix(h) !== undefined && wildcardSuffix(listenerHost) !== undefined && covers(h, `x.${wildcardSuffix(listenerHost)}`)) out.add(listenerHost);
  }
  return [...out];
}

/** The route's `spec.hostnames`, valid ones lower-cased; invalid ones are reported by the caller. */
export function routeHostnames(raw: readonly unknown[]): { hosts: string[]; invalid: string[] } {
  const hosts: string[] = [];
  const invalid: string[] = [];
  for (const h of raw) {
    const s = str(h);
    if (s !== undefined && validHostname(s.toLowerCase())) hosts.push(s.toLowerCase());
    else invalid.push(String(h));
  }
  return { hosts, invalid };
}

export interface RouteIdentity {
  readonly kind: RouteKindName;
  readonly namespace: string;
  readonly hosts: readonly string[];
}

/** True when a parentRef names a Gateway (the only parent kind RAUTA implements). */
export function isGatewayRef(ref: ParentRef): boolean {
  return (str(ref.group) ?? GATEWAY_GROUP) === GATEWAY_GROUP && (str(ref.kind) ?? 'Gateway') === 'Gateway';
}

export function echoParentRef(ref: ParentRef, routeNamespace: string): ParentReference {
  const out: { -readonly [K in keyof ParentReference]: ParentReference[K] } = { name: str(ref.name) ?? '' };
  out.group = str(ref.group) ?? GATEWAY_GROUP;
  out.kind = str(ref.kind) ?? 'Gateway';
  out.namespace = str(ref.namespace) ?? routeNamespace;
  const section = str(ref.sectionName);
  if (section !== undefined) out.sectionName = section;
  const port = int(ref.port);
  if (port !== undefined) out.port = port;
  return Object.freeze(out);
}

/**
 * Attaches a route to one parent Gateway, following the spec's order of reasons: no listener by that
 * sectionName/port → NoMatchingParent; none that allows the route's kind and namespace →
 * NotAllowedByListeners; none whose hostname intersects the route's → NoMatchingListenerHostname.
 */
export function attach(
  ref: ParentRef,
  gw: GatewayInfo,
  route: RouteIdentity,
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>,
): ParentResult {
  const parentRef = echoParentRef(ref, route.namespace);
  const section = str(ref.sectionName);
  const port = int(ref.port);
  let candidates = gw.listeners;
  if (section !== undefined) candidates = candidates.filter((l) => l.name === section);
  if (port !== undefined) candidates = candidates.filter((l) => l.port === port);
  if (candidates.length === 0) {
    const what = [section !== undefined ? `sectionName ${section}` : '', port !== undefined ? `port ${port}` : ''].filter(Boolean).join(' and ');
    return { parentRef, attachments: [], accepted: cond('Accepted', false, Reasons.NoMatchingParent, `Gateway ${gw.namespace}/${gw.name} has no listener with ${what || 'any name'}`) };
  }
  const allowed = candidates.filter((l) => l.kinds.has(route.kind) && namespaceAllowed(l, route.namespace, namespaceLabels));
  if (allowed.length === 0) {
    return { parentRef, attachments: [], accepted: cond('Accepted', false, Reasons.NotAllowedByListeners, `no listener of Gateway ${gw.namespace}/${gw.name} allows ${route.kind}s from namespace ${route.namespace}`) };
  }
  const attachments: Attachment[] = [];
  for (const l of allowed) {
    const hosts = intersectHosts(route.hosts, l.hostname);
    if (hosts.length > 0) attachments.push({ listener: l, hosts });
  }
  if (attachments.length === 0) {
    return { parentRef, attachments: [], accepted: cond('Accepted', false, Reasons.NoMatchingListenerHostname, `no hostname of the route matches a listener hostname of Gateway ${gw.namespace}/${gw.name}`) };
  }
  return { parentRef, attachments, accepted: cond('Accepted', true, 'Accepted', 'route attached') };
}

function namespaceAllowed(l: ListenerInfo, routeNamespace: string, labels: ReadonlyMap<string, Readonly<Record<string, string>>>): boolean {
  switch (l.from) {
    case 'All': return true;
    case 'Same': return routeNamespace === l.gatewayNamespace;
    case 'Selector': return selectorMatches(l.selector, labels.get(routeNamespace) ?? { 'kubernetes.io/metadata.name': routeNamespace });
  }
}

