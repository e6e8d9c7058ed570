/**
 * The field types translation relies on, checked for objects from a file. In Kubernetes mode the API
 * server's schema guarantees them; a hand-written file guarantees nothing (`hosts: false`, `port: "80"`,
 * `paths: {}`), and a wrong type reaching translation would throw there and cost every Ingress instead
 * of one. Each check returns the first wrong field, or undefined.
 */
export interface ShapeError {
  readonly field: string;
  readonly message: string;
}

export type Shape = (value: unknown, field: string) => ShapeError | undefined;

const at = (parent: string, key: string) => (parent === '' ? key : `${parent}.${key}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const str: Shape = (v, field) => (typeof v === 'string' ? undefined : { field, message: `${field} must be a string` });
export const bool: Shape = (v, field) => (typeof v === 'boolean' ? undefined : { field, message: `${field} must be true or false` });
export const int: Shape = (v, field) => (Number.isSafeInteger(v) ? undefined : { field, message: `${field} must be an integer` });
const intOrString: Shape = (v, field) => (Number.isSafeInteger(v) || typeof v === 'string' ? undefined : { field, message: `${field} must be an integer or a name` });

/** Absent (or null, as `key:` with no value is in YAML) is fine; otherwise it must have `shape`. */
export const optional = (shape: Shape): Shape => (v, field) => (v === undefined || v === null ? undefined : shape(v, field));

export const list = (item: Shape): Shape => (v, field) => {
  if (!Array.isArray(v)) return { field, message: `${field} must be a list` };
  for (const [i, x] of v.entries()) {
    const e = item(x, `${field}[${i}]`);
    if (e) return e;
  }
  return undefined;
};

/** A mapping whose listed keys have these shapes (other keys are left alone: translation ignores them). */
export const mapping = (keys: Record<string, Shape>): Shape => (v, field) => {
  if (!isObject(v)) return { field, message: `${field || 'document'} must be a mapping` };
  for (const [k, shape] of Object.entries(keys)) {
    const e = shape(v[k], at(field, k));
    if (e) return e;
  }
  return undefined;
};

const ingressBackend = mapping({
  service: optional(mapping({ name: str, port: optional(mapping({ number: optional(int), name: optional(str) })) })),
  resource: optional(mapping({ apiGroup: optional(str), kind: str, name: str })),
});

export const ingressShape = mapping({
  spec: optional(mapping({
    ingressClassName: optional(str),
    defaultBackend: optional(ingressBackend),
    rules: optional(list(mapping({
      host: optional(str),
      http: optional(mapping({ paths: list(mapping({ path: optional(str), pathType: optional(str), backend: optional(ingressBackend) })) })),
    }))),
    tls: optional(list(mapping({ hosts: optional(list(str)), secretName: optional(str) }))),
  })),
});

export const ingressClassShape = mapping({ spec: optional(mapping({ controller: optional(str) })) });

export const serviceShape = mapping({
  spec: optional(mapping({
    ports: optional(list(mapping({ name: optional(str), port: int, targetPort: optional(intOrString), protocol: optional(str), appProtocol: optional(str) }))),
  })),
});

export const endpointSliceShape = mapping({
  addressType: optional(str),
  endpoints: optional(list(mapping({
    addresses: list(str),
    conditions: optional(mapping({ ready: optional(bool), serving: optional(bool), terminating: optional(bool) })),
    targetRef: optional(mapping({ kind: optional(str), name: optional(str), namespace: optional(str) })),
    nodeName: optional(str),
    zone: optional(str),
  }))),
  ports: optional(list(mapping({ name: optional(str), port: optional(int), protocol: optional(str), appProtocol: optional(str) }))),
});

export const secretShape = mapping({ type: optional(str) });
