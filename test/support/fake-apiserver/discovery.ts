import { RESOURCE_TYPES, type ResourceType } from './resources.ts';

/** The legacy discovery documents (/api, /apis, /api/v1, /apis/G/V) that client-node and kubectl read. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groups(types: readonly ResourceType[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of types) {
    if (t.group === '') continue;
    const versions = out.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    out.set(t.group, versions);
  }
  return out;
}

function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(types: readonly ResourceType[] = RESOURCE_TYPES): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups(types)].map(([name, versions]) => groupDoc(name, versions)) };
}

export function apiGroup(name: string, types: readonly ResourceType[] = RESOURCE_TYPES): Record<string, unknown> | undefined {
  const versions = groups(types).get(name);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name, versions) } : undefined;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiResourceList(group: string, version: string, served: readonly ResourceType[] = RESOURCE_TYPES): Record<string, unknown> | undefined {
  const types = served.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((t: ResourceType) => [
    { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: VERBS, ...(t.shortNames ? { shortNames: t.shortNames } : {}) },
    ...(t.hasStatus ? [{ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }] : []),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
}
