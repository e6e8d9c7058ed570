import type { Backend, Route } from '../routing/types.ts';
import { type EndpointSlice, type ObjectSet, SERVICE_NAME_LABEL, type Service } from '../sources/object-set.ts';
import { RouteTable } from '../routing/route-table.ts';
import { BackendResolver } from './backends.ts';
import type { TranslationMemo } from './memo.ts';
import type { Translation } from './translate.ts';

/** Every list of the snapshot but the EndpointSlices. */
const OTHER_LISTS = [
  'ingresses', 'ingressClasses', 'services', 'secrets', 'configMaps',
  'gatewayClasses', 'gateways', 'httpRoutes', 'grpcRoutes', 'referenceGrants', 'namespaces',
] as const satisfies readonly (keyof ObjectSet)[];

function sameItems(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const serviceOf = (s: EndpointSlice) => `${s.metadata.namespace ?? 'default'}/${s.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`;

/**
 * The most frequent change in a cluster is a pod coming or going: an EndpointSlice, nothing else. Only
 * the endpoints of backends follow from EndpointSlices (routes, policies, diagnostics and status do
 * not), so when every other object is the same object as in the previous translation, the previous
 * backends of the Services whose slices changed are resolved again instead of translating 10,000
 * Ingresses. The result is the table a full translation would build (tests compare the two); the memo
 * keeps its other backends for the next full translation (no sweep here). Undefined: anything else
 * changed.
 */
export function translateEndpointsOnly(objects: ObjectSet, memo: TranslationMemo): Translation | undefined {
  const before = memo.objects;
  const table = memo.table;
  const places = memo.places;
  const sliceMap = memo.slices;
  if (before === undefined || table === undefined || places === undefined || sliceMap === undefined) return undefined;
  for (const list of OTHER_LISTS) if (!sameItems(before[list], objects[list])) return undefined;
  if (JSON.stringify(before.problems) !== JSON.stringify(objects.problems)) return undefined;

  // Services whose slices were added, changed or removed: only their backends are resolved again.
  const touched = new Set<string>();
  const a = before.endpointSlices;
  const b = objects.endpointSlices;
  if (a.length === b.length) {
    // Sources keep their order: compared place by place, and the slice takes its predecessor's place
    // in its Service's list (a reordering only makes more Services look touched).
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      const was = serviceOf(a[i]);
      const is = serviceOf(b[i]);
      touched.add(was);
      touched.add(is);
      if (was === is) sliceMap.set(is, (sliceMap.get(is) ?? []).map((s) => (s === a[i] ? b[i] : s)));
      else {
        sliceMap.set(was, (sliceMap.get(was) ?? []).filter((s) => s !== a[i]));
        sliceMap.set(is, [...(sliceMap.get(is) ?? []), b[i]]);
      }
    }
  } else {
    const old = new Set(a);
    const now = new Set(b);
    for (const s of b) if (!old.has(s)) touched.add(serviceOf(s));
    for (const s of a) if (!now.has(s)) touched.add(serviceOf(s));
    for (const key of touched) sliceMap.set(key, []);
    for (const s of b) {
      const key = serviceOf(s);
      if (touched.has(key)) (sliceMap.get(key) as EndpointSlice[]).push(s);
    }
  }
  memo.objects = objects;
  const unchanged = (): Translation => ({ table, fingerprint: memo.reuseWithBackends([], new Map()) });
  if (touched.size === 0) return unchanged();

  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  for (const key of touched) {
    const svc = memo.services?.get(key);
    if (svc !== undefined) services.push(svc);
    for (const s of sliceMap.get(key) ?? []) slices.push(s);
  }
  const resolver = new BackendResolver(services, slices, memo.backends);
  const moved = new Map<Backend, Backend>();
  const backends = table.backends.slice();
  for (const key of touched) {
    for (const i of places.backends.get(key) ?? []) {
      const now = resolver.again(backends[i]);
      if (now === backends[i]) continue;
      moved.set(backends[i], now);
      backends[i] = now;
    }
  }
  if (moved.size === 0) return unchanged();

  const replaced = new Map<Route, Route>();
  const follow = (r: Route): Route => {
    const now = moved.get(r.backend);
    if (now === undefined) return r;
    const route = Object.freeze({ ...r, backend: now });
    replaced.set(r, route);
    return route;
  };
  const routes = table.routes.slice();
  for (const old of moved.keys()) for (const i of places.routes.get(old.id) ?? []) routes[i] = follow(routes[i]);
  const defaultRoute = table.defaultRoute === undefined ? undefined : follow(table.defaultRoute);
  const input = {
    routes, defaultRoute, backends, diagnostics: table.diagnostics, certificates: table.certificates,
    defaultCertificate: table.defaultCertificate, ingresses: table.ingresses, gatewayStatus: table.gatewayStatus,
  };
  // A backend change never moves a route to another host, so the patch always applies.
  const next = RouteTable.patched(table, input, replaced) ?? new RouteTable(input, Math.random, table);
  memo.table = next;
  return { table: next, fingerprint: memo.reuseWithBackends([...replaced], moved) };
}
