import type { GRPCRoute, Gateway, GatewayClass, HTTPRoute, Namespace, ReferenceGrant } from '../gateway-objects.ts';
import { type ConfigMap, type EndpointSlice, type Ingress, type IngressClass, type ObjectSet, type Secret, type Service, type SourceProblem, keptConfigMapData } from '../object-set.ts';
import { RautaError } from '../../errors.ts';
import { DocumentCache } from './documents.ts';
import { type Shape, endpointSliceShape, ingressClassShape, ingressShape, secretShape, serviceShape } from './shapes.ts';

/** The file as a whole cannot be used (YAML syntax error…): the last good routes keep serving. */
export class ManifestError extends RautaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAUTA_ERR_MANIFEST', message, options);
  }
}

const KINDS: Record<string, readonly string[]> = {
  Ingress: ['networking.k8s.io/v1'],
  IngressClass: ['networking.k8s.io/v1'],
  Service: ['v1'],
  EndpointSlice: ['discovery.k8s.io/v1'],
  Secret: ['v1'],
  ConfigMap: ['v1'],
  Namespace: ['v1'],
  GatewayClass: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'],
  Gateway: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'],
  HTTPRoute: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'],
  GRPCRoute: ['gateway.networking.k8s.io/v1'],
  ReferenceGrant: ['gateway.networking.k8s.io/v1beta1', 'gateway.networking.k8s.io/v1'],
};

/** Gateway API list fields that must be lists of mappings when present (the CRD schema would say so). */
const GATEWAY_LISTS: Record<string, readonly string[]> = {
  Gateway: ['listeners', 'addresses'],
  HTTPRoute: ['parentRefs', 'rules'],
  GRPCRoute: ['parentRefs', 'rules'],
  ReferenceGrant: ['from', 'to'],
};

const SHAPES: Record<string, Shape> = {
  Ingress: ingressShape,
  IngressClass: ingressClassShape,
  Service: serviceShape,
  EndpointSlice: endpointSliceShape,
  Secret: secretShape,
};

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

interface Mutable {
  ingresses: Ingress[];
  ingressClasses: IngressClass[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  secrets: Secret[];
  configMaps: ConfigMap[];
  problems: SourceProblem[];
  gatewayClasses: GatewayClass[];
  gateways: Gateway[];
  httpRoutes: HTTPRoute[];
  grpcRoutes: GRPCRoute[];
  referenceGrants: ReferenceGrant[];
  namespaces: Namespace[];
}

function ownValue<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses multi-document YAML holding the objects a cluster would hold. YAML syntax errors reject the
 * whole file (we cannot know what the user meant); a document of the wrong shape costs only itself and
 * becomes a SourceProblem naming the file, the document index and the field. With a `cache` kept
 * between calls, only documents whose text changed are parsed again.
 */
export function parseManifests(files: readonly { name: string; text: string }[], cache = new DocumentCache()): ObjectSet {
  const out = emptyMutable();
  cache.begin();
  try {
    for (const file of files) {
      const docs = cache.documents(file.text);
      if ('error' in docs) {
        const e = docs.error;
        throw new ManifestError(`${file.name} document ${e.index}${e.line !== undefined ? ` line ${e.line}:${e.col}` : ''}: ${e.message}`);
      }
      docs.values.forEach((value, index) => {
        if (value === null || value === undefined) return; // `---` with nothing after it
        addNormalized(out, value, `${file.name}#${index}`);
      });
    }
  } finally {
    cache.commit();
  }
  return Object.freeze(out);
}

type Produced = readonly (readonly [Exclude<keyof Mutable, 'problems'>, unknown])[];

/**
 * What each parsed document value produced, while the document cache keeps that value (its text did
 * not change). A re-read hands back the same objects for unchanged documents, so translation can tell
 * what changed by identity (an EndpointSlice edit re-resolves one backend). Documents with problems are
 * not remembered: a problem names the document's position, which other edits may move.
 */
const produced = new WeakMap<object, Produced>();

function addNormalized(out: Mutable, value: unknown, origin: string): void {
  const key = isObject(value) ? value : undefined;
  let objects = key === undefined ? undefined : produced.get(key);
  if (objects === undefined) {
    const own = emptyMutable();
    addDocument(own, value, origin);
    for (const p of own.problems) out.problems.push(p);
    const list: [Exclude<keyof Mutable, 'problems'>, unknown][] = [];
    for (const k of Object.keys(own) as (keyof Mutable)[]) if (k !== 'problems') for (const o of own[k]) list.push([k, o]);
    objects = list;
    if (key !== undefined && own.problems.length === 0) produced.set(key, objects);
  }
  for (const [k, o] of objects) (out[k] as unknown[]).push(o);
}

function emptyMutable(): Mutable {
  return {
    ingresses: [], ingressClasses: [], services: [], endpointSlices: [], secrets: [], configMaps: [], problems: [],
    gatewayClasses: [], gateways: [], httpRoutes: [], grpcRoutes: [], referenceGrants: [], namespaces: [],
  };
}

/** `file.yaml#2.items[0]` → `file.yaml document 2 (items[0])`, in the words YAML errors use. */
function describeOrigin(origin: string): string {
  const m = /^(.*)#(\d+)(?:\.(.*))?$/.exec(origin);
  return m === null ? origin : `${m[1]} document ${m[2]}${m[3] ? ` (${m[3]})` : ''}`;
}

function nonStringValue(origin: string, kind: string, meta: Record<string, unknown>, key: 'labels' | 'annotations', name: string, value: unknown): ManifestError {
  const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
  const shown = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  const quoted = JSON.stringify(value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));
  const object = `${kind} ${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${String(meta.name)}`;
  return new ManifestError(`${describeOrigin(origin)}: ${object} metadata.${key}["${name}"] is ${shown} (${what}), but ${key === 'labels' ? 'label' : 'annotation'} values are strings: quote the value, ${name}: ${quoted}`);
}

function addDocument(out: Mutable, value: unknown, origin: string): void {
  const problem = (kind: string, message: string, field?: string, meta?: Record<string, unknown>): void => {
    out.problems.push({
      kind,
      origin,
      field,
      message,
      name: typeof meta?.name === 'string' ? meta.name : undefined,
      namespace: typeof meta?.namespace === 'string' ? meta.namespace : undefined,
    });
  };

  if (!isObject(value)) return problem('Unknown', 'document is not a mapping');
  if (value.kind === 'List' && Array.isArray(value.items)) {
    value.items.forEach((item, i) => addDocument(out, item, `${origin}.items[${i}]`));
    return;
  }
  const kind = typeof value.kind === 'string' ? value.kind : '';
  const meta = isObject(value.metadata) ? value.metadata : undefined;
  // Own keys only: a document of kind "constructor" or "__proto__" must not find Object's members.
  const apiVersions = ownValue(KINDS, kind);
  if (!apiVersions) return problem(kind || 'Unknown', `kind "${kind}" is not one RAUTA reads (${Object.keys(KINDS).join(', ')})`, 'kind', meta);
  if (!apiVersions.includes(String(value.apiVersion))) {
    return problem(kind, `apiVersion "${String(value.apiVersion)}" is not ${apiVersions.join(' or ')}`, 'apiVersion', meta);
  }
  if (!meta) return problem(kind, 'metadata is missing', 'metadata');
  if (typeof meta.name !== 'string' || !NAME_RE.test(meta.name)) return problem(kind, `metadata.name "${String(meta.name)}" is not a valid name`, 'metadata.name', meta);
  if (meta.namespace !== undefined && (typeof meta.namespace !== 'string' || !NAME_RE.test(meta.namespace))) {
    return problem(kind, `metadata.namespace "${String(meta.namespace)}" is not a valid namespace`, 'metadata.namespace', meta);
  }
  for (const key of ['labels', 'annotations'] as const) {
    const m = meta[key];
    if (m === undefined) continue;
    if (!isObject(m)) return problem(kind, `metadata.${key} must map strings to strings`, `metadata.${key}`, meta);
    const bad = Object.entries(m).find(([, v]) => typeof v !== 'string');
    // An unquoted `true` or `3` is what YAML makes of a value meant as a string. Dropping the object (or
    // the one annotation, which may be a security setting) would change what is served; refusing the
    // file keeps the last good routes and says exactly what to quote.
    if (bad !== undefined) throw nonStringValue(origin, kind, meta, key, bad[0], bad[1]);
  }
  const spec = value.spec;
  if (spec !== undefined && !isObject(spec)) return problem(kind, 'spec must be a mapping', 'spec', meta);
  for (const field of ownValue(GATEWAY_LISTS, kind) ?? []) {
    const list = isObject(spec) ? spec[field] : undefined;
    if (list !== undefined && (!Array.isArray(list) || !list.every(isObject))) return problem(kind, `spec.${field} must be a list of mappings`, `spec.${field}`, meta);
  }
  const shapeError = ownValue(SHAPES, kind)?.(value, '');
  if (shapeError) return problem(kind, shapeError.message, shapeError.field, meta);

  // Standalone files have no API server to fill these in.
  const metadata = { ...meta, namespace: (meta.namespace as string | undefined) ?? 'default', creationTimestamp: (meta.creationTimestamp as string | undefined) ?? '' };
  const obj = { ...value, metadata };
  switch (kind) {
    case 'Ingress':
      out.ingresses.push(obj as unknown as Ingress);
      return;
    case 'IngressClass':
      out.ingressClasses.push(obj as unknown as IngressClass);
      return;
    case 'Service':
      out.services.push(obj as unknown as Service);
      return;
    case 'EndpointSlice':
      out.endpointSlices.push(obj as unknown as EndpointSlice);
      return;
    case 'Secret': {
      // Files may use stringData as kubectl does; Secrets are stored base64 like the API returns them.
      const data: Record<string, string> = {};
      if (isObject(value.data)) for (const [k, v] of Object.entries(value.data)) if (typeof v === 'string') data[k] = v;
      if (isObject(value.stringData)) for (const [k, v] of Object.entries(value.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v).toString('base64');
      out.secrets.push({ ...(obj as unknown as Secret), data });
      return;
    }
    case 'ConfigMap':
      out.configMaps.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: obj.metadata as ConfigMap['metadata'], ...keptConfigMapData(value.data) });
      return;
    case 'Namespace':
      out.namespaces.push({ ...(obj as unknown as Namespace), metadata: { ...meta, name: meta.name } as Namespace['metadata'] });
      return;
    case 'GatewayClass':
      out.gatewayClasses.push(obj as unknown as GatewayClass);
      return;
    case 'Gateway':
      out.gateways.push(obj as unknown as Gateway);
      return;
    case 'HTTPRoute':
      out.httpRoutes.push(obj as unknown as HTTPRoute);
      return;
    case 'GRPCRoute':
      out.grpcRoutes.push(obj as unknown as GRPCRoute);
      return;
    case 'ReferenceGrant':
      out.referenceGrants.push(obj as unknown as ReferenceGrant);
      return;
  }
}
