/**
 * Validates a Kubernetes object against the OpenAPI schemas compiled into `kubernetes-models`, and also
 * reports unknown fields, as `kubectl apply` (server-side strict field validation) would: those schemas
 * do not forbid extra properties, so a typo like `readOnlyRootFileSystem` would otherwise pass silently.
 *
 * Unknown fields are found by watching the compiled validator: it reads every property its schema knows
 * (`data.replicas`, `data.selector`…) and enumerates map-like objects (labels, resources.limits). A
 * property of a visited object that it never read, in an object it never enumerated, is unknown to the
 * schema.
 */

export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

interface Visit {
  readonly path: string;
  readonly target: Record<string, unknown>;
  readonly read: Set<string>;
  enumerated: boolean;
}

type ValidateFn = (this: unknown) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** `apps/v1` + `Deployment` → the model class's validate function; undefined for unknown kinds. */
async function validatorFor(apiVersion: string, kind: string): Promise<ValidateFn | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!/^[a-z0-9.]*$/.test(group) || !/^v[0-9a-z]+$/.test(version) || !/^[A-Z][A-Za-z]+$/.test(kind)) return undefined;
  // Gateway API kinds come from their own model package (generated from the CRDs' schemas).
  const spec = group === 'gateway.networking.k8s.io' ? `@kubernetes-models/gateway-api/${group}/${version}/${kind}`
    : group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
  let mod: unknown;
  try {
    mod = await import(spec);
  } catch {
    return undefined;
  }
  const cls = isObject(mod) ? mod[kind] : undefined;
  if (typeof cls !== 'function') return undefined;
  const proto: unknown = (cls as { prototype: unknown }).prototype;
  const validate = isObject(proto) ? proto.validate : undefined;
  return typeof validate === 'function' ? (validate as ValidateFn) : undefined;
}

function track(value: unknown, path: string, visits: Visit[]): unknown {
  if (!isObject(value)) return value;
  const visit: Visit = { path, target: value, read: new Set(), enumerated: false };
  if (!Array.isArray(value)) visits.push(visit);
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const raw: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return raw;
      visit.read.add(key);
      if (!isObject(raw)) return raw;
      let child = children.get(key);
      if (child === undefined) {
        child = track(raw, Array.isArray(target) ? `${path}[${key}]` : `${path}.${key}`, visits);
        children.set(key, child);
      }
      return child;
    },
    ownKeys(target) {
      visit.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

export async function validateKubeObject(doc: unknown): Promise<SchemaProblem[]> {
  if (!isObject(doc) || Array.isArray(doc)) return [{ path: '', message: 'document is not a mapping' }];
  const apiVersion = String(doc.apiVersion ?? '');
  const kind = String(doc.kind ?? '');
  const validate = await validatorFor(apiVersion, kind);
  if (!validate) return [{ path: '', message: `no schema for ${apiVersion} ${kind}` }];
  const visits: Visit[] = [];
  const problems: SchemaProblem[] = [];
  try {
    validate.call(track(doc, '', visits));
  } catch (err) {
    problems.push({ path: '', message: (err as Error).message });
  }
  for (const v of visits) {
    if (v.enumerated) continue;
    for (const key of Object.keys(v.target)) {
      if (!v.read.has(key)) problems.push({ path: `${v.path}.${key}`, message: `unknown field "${key}"` });
    }
  }
  return problems;
}
