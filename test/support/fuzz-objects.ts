import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { requireTool } from '../../scripts/system-tools.ts';
import type { EndpointSlice, Ingress, IngressClass, ObjectSet, Secret, Service } from '../../src/sources/object-set.ts';
import { type TestCert, makeCert } from './certs.ts';

/**
 * fast-check arbitraries for hostile cluster objects: what a tenant (or a broken controller) can put
 * into the API server, with values no sane manifest has. Names come from small pools so objects
 * collide, reference each other and conflict, as real clusters do.
 */

const big = (n: number) => 'a'.repeat(n);

/** Strings a tenant can write into any free-form field. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '', ' ', '\u0000', '\r\nX-Injected: 1', '../../etc/passwd', '/%2e%2e/admin', '%2F', '(a+)+$', '.*', '[', '\\',
      '\u0024{HOME}', '{{.}}', '__proto__', 'constructor', 'ＡＢＣ', 'e\u0301', '\u202e', '🦀', '0', '-1', 'NaN', 'true', 'null',
      big(300), big(70_000),
    ),
  },
);

const hostArb = fc.oneof(
  fc.constantFrom('a.test', 'b.test', 'shop.example.com', '*.wild.test', '*.test', 'UPPER.test', 'trailing.test.', '127.0.0.1', '[::1]', 'xn--bcher-kva.test', `${'l'.repeat(63)}.test`, `${'l'.repeat(64)}.test`, '*', 'a..b', '-a.test'),
  hostileString,
).filter((h) => !h.toLowerCase().startsWith('canary'));

const pathArb = fc.oneof(
  fc.constantFrom('/', '/a', '/a/', '/a/b', '/a/../b', '//a', '/a%2fb', '/%2e%2e/x', '/(.*)', '/api(/|$)(.*)', 'no-slash', '', '/a?b=c', '/a#frag', '/ä', `/${big(5000)}`),
  hostileString,
);

const pathTypeArb = fc.oneof(fc.constantFrom('Prefix', 'Exact', 'ImplementationSpecific'), hostileString);

const ANNOTATION_KEYS = [
  'rauta.io/load-balance', 'rauta.io/hash-by', 'rauta.io/retries', 'rauta.io/backend-protocol', 'rauta.io/ssl-redirect', 'rauta.io/hsts',
  'rauta.io/health-check-path', 'rauta.io/health-check-interval', 'rauta.io/health-check-timeout', 'rauta.io/health-check-healthy-threshold',
  'rauta.io/health-check-unhealthy-threshold', 'rauta.io/rewrite-target', 'rauta.io/allow-source-range', 'rauta.io/rate-limit',
  'nginx.ingress.kubernetes.io/rewrite-target', 'nginx.ingress.kubernetes.io/use-regex', 'nginx.ingress.kubernetes.io/configuration-snippet',
  'nginx.ingress.kubernetes.io/server-snippet', 'nginx.ingress.kubernetes.io/whitelist-source-range', 'nginx.ingress.kubernetes.io/denylist-source-range',
  'nginx.ingress.kubernetes.io/auth-url', 'nginx.ingress.kubernetes.io/auth-type', 'nginx.ingress.kubernetes.io/auth-secret',
  'nginx.ingress.kubernetes.io/limit-rps', 'nginx.ingress.kubernetes.io/limit-connections', 'nginx.ingress.kubernetes.io/proxy-body-size',
  'nginx.ingress.kubernetes.io/enable-cors', 'nginx.ingress.kubernetes.io/cors-allow-origin', 'nginx.ingress.kubernetes.io/permanent-redirect',
  'nginx.ingress.kubernetes.io/ssl-redirect', 'nginx.ingress.kubernetes.io/force-ssl-redirect', 'nginx.ingress.kubernetes.io/backend-protocol',
  'nginx.ingress.kubernetes.io/proxy-read-timeout', 'nginx.ingress.kubernetes.io/upstream-hash-by', 'nginx.ingress.kubernetes.io/canary',
  'nginx.ingress.kubernetes.io/canary-weight', 'nginx.ingress.kubernetes.io/app-root', 'nginx.ingress.kubernetes.io/custom-headers',
  'kubernetes.io/ingress.class',
];

const annotationValue = fc.oneof(
  fc.constantFrom('true', 'false', '0', '1', '3', '11', '-5', '1.5', '100m', '5s', '10', 'round-robin', 'maglev', 'least-request', 'header:x-user',
    'cookie:sid', 'client-ip', 'path', 'h2c', 'grpc', 'GRPCS', 'http', '/$2', '/new/$1', '10.0.0.0/8', '10.0.0.0/33', '::/0', 'http://127.0.0.1:1/auth',
    'basic', 'default/htpasswd', 'more_set_headers "X: y";', 'return 200;', '$request_uri', 'max-age=31536000', '1k', '1g', '999999999999999999999'),
  hostileString,
);

const annotationsArb = fc.option(fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ANNOTATION_KEYS) }, { weight: 1, arbitrary: hostileString }), annotationValue, { maxKeys: 6 }), { nil: undefined });

const NAMESPACES = ['default', 'team-a'];
const nsArb = fc.constantFrom(...NAMESPACES);
const svcNameArb = fc.constantFrom('web', 'api', 'missing', 'ext');
const secretNameArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('tls-a', 'tls-b', 'tls-c') }, hostileString);

const portRefArb = fc.oneof(
  fc.record({ number: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.constantFrom(80, 8080, 443)) }),
  fc.record({ name: fc.oneof(fc.constantFrom('http', 'https', 'grpc'), hostileString) }),
  fc.constant({}),
);

const backendArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ service: fc.record({ name: fc.oneof(svcNameArb, hostileString), port: fc.option(portRefArb, { nil: undefined }) }, { requiredKeys: ['name'] }) }) },
  { weight: 1, arbitrary: fc.record({ resource: fc.record({ apiGroup: fc.option(hostileString, { nil: undefined }), kind: hostileString, name: hostileString }, { requiredKeys: ['kind', 'name'] }) }) },
  { weight: 1, arbitrary: fc.constant({}) },
);

const ingressArb: fc.Arbitrary<Ingress> = fc.record({
  name: fc.oneof(fc.constantFrom('one', 'two', 'three', 'four'), hostileString),
  namespace: nsArb,
  className: fc.oneof({ weight: 6, arbitrary: fc.constant('rauta') }, fc.constant(undefined), fc.constantFrom('other', 'nginx'), hostileString),
  created: fc.oneof(fc.constant(''), fc.constantFrom('2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 'not-a-date'), hostileString),
  annotations: annotationsArb,
  defaultBackend: fc.option(backendArb, { nil: undefined }),
  rules: fc.option(fc.array(fc.record({
    host: fc.option(hostArb, { nil: undefined }),
    http: fc.option(fc.record({ paths: fc.array(fc.record({ path: fc.option(pathArb, { nil: undefined }), pathType: fc.option(pathTypeArb, { nil: undefined }), backend: backendArb }, { requiredKeys: ['backend'] }), { maxLength: 4 }) }), { nil: undefined }),
  }, { requiredKeys: [] }), { maxLength: 3 }), { nil: undefined }),
  tls: fc.option(fc.array(fc.record({ hosts: fc.option(fc.array(hostArb, { maxLength: 3 }), { nil: undefined }), secretName: fc.option(secretNameArb, { nil: undefined }) }, { requiredKeys: [] }), { maxLength: 2 }), { nil: undefined }),
}).map((r) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: r.name, namespace: r.namespace, creationTimestamp: r.created, ...(r.annotations ? { annotations: r.annotations } : {}) },
  spec: {
    ...(r.className !== undefined ? { ingressClassName: r.className } : {}),
    ...(r.defaultBackend ? { defaultBackend: r.defaultBackend } : {}),
    ...(r.rules ? { rules: r.rules } : {}),
    ...(r.tls ? { tls: r.tls } : {}),
  },
}) as unknown as Ingress);

const serviceArb: fc.Arbitrary<Service> = fc.record({
  name: svcNameArb,
  namespace: nsArb,
  ports: fc.array(fc.record({ name: fc.option(fc.oneof(fc.constantFrom('http', 'https', 'grpc'), hostileString), { nil: undefined }), port: fc.integer({ min: -5, max: 70_000 }), targetPort: fc.option(fc.oneof(fc.integer({ min: -5, max: 70_000 }), hostileString), { nil: undefined }) }, { requiredKeys: ['port'] }), { maxLength: 3 }),
}).map((r) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: r.name, namespace: r.namespace }, spec: { ports: r.ports } }) as unknown as Service);

const addressArb = fc.oneof(fc.constantFrom('127.0.0.40', '127.0.0.41', '10.0.0.1', '::1', 'fe80::1%eth0', '999.1.1.1', '0.0.0.0', '255.255.255.255', 'localhost'), hostileString);

const sliceArb: fc.Arbitrary<EndpointSlice> = fc.record({
  name: fc.oneof(fc.constantFrom('s1', 's2', 's3'), hostileString),
  namespace: nsArb,
  service: fc.oneof(svcNameArb, hostileString),
  addressType: fc.constantFrom('IPv4', 'IPv6', 'FQDN', 'bogus'),
  ports: fc.array(fc.record({ name: fc.option(fc.oneof(fc.constantFrom('http', 'https'), hostileString), { nil: undefined }), port: fc.option(fc.integer({ min: -5, max: 70_000 }), { nil: undefined }) }, { requiredKeys: [] }), { maxLength: 3 }),
  endpoints: fc.array(fc.record({
    addresses: fc.array(addressArb, { maxLength: 3 }),
    conditions: fc.option(fc.record({ ready: fc.option(fc.boolean(), { nil: undefined }), serving: fc.option(fc.boolean(), { nil: undefined }), terminating: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: [] }), { nil: undefined }),
    pod: fc.option(hostileString, { nil: undefined }),
  }, { requiredKeys: ['addresses'] }), { maxLength: 4 }),
}).map((r) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: r.name, namespace: r.namespace, labels: { 'kubernetes.io/service-name': r.service } },
  addressType: r.addressType,
  ports: r.ports,
  endpoints: r.endpoints.map((e) => ({ addresses: e.addresses, ...(e.conditions ? { conditions: e.conditions } : {}), ...(e.pod !== undefined ? { targetRef: { kind: 'Pod', name: e.pod, namespace: r.namespace } } : {}) })),
}) as unknown as EndpointSlice);

const classArb: fc.Arbitrary<IngressClass> = fc.record({
  name: fc.oneof(fc.constantFrom('other', 'nginx', 'default-class'), hostileString).filter((n) => n !== 'rauta'),
  controller: fc.oneof(fc.constant('rauta.io/ingress-controller'), hostileString),
  isDefault: fc.boolean(),
}).map((r) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name: r.name, ...(r.isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  spec: { controller: r.controller },
}) as unknown as IngressClass);

/** PEM material for TLS Secrets: a good pair, a 1024-bit RSA key, a mismatched pair. Made once per test file. */
export interface CertPool {
  readonly good: TestCert;
  readonly weak: TestCert;
  readonly mismatched: TestCert;
}

export function makeCertPool(): CertPool {
  const good = makeCert(['good.test', '*.wild.test']);
  const other = makeCert(['other.test']);
  const dir = mkdtempSync(join(tmpdir(), 'rauta-fuzz-cert-'));
  try {
    execFileSync(requireTool('openssl'), ['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-days', '2', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-subj', '/CN=weak.test', '-addext', 'subjectAltName=DNS:weak.test,DNS:a.test'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const weak = { cert: readFileSync(join(dir, 'c'), 'utf8'), key: readFileSync(join(dir, 'k'), 'utf8') };
    return { good, weak, mismatched: { cert: good.cert, key: other.key } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function pemDataArb(pool: CertPool) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ 'tls.crt': b64(pool.good.cert), 'tls.key': b64(pool.good.key) }) },
    { weight: 3, arbitrary: fc.constant({ 'tls.crt': b64(pool.weak.cert), 'tls.key': b64(pool.weak.key) }) },
    { weight: 3, arbitrary: fc.constant({ 'tls.crt': b64(pool.mismatched.cert), 'tls.key': b64(pool.mismatched.key) }) },
    { weight: 1, arbitrary: fc.constant({ 'tls.crt': 'not base64 !!!', 'tls.key': '' }) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.record({ 'tls.crt': hostileString.map(b64), 'tls.key': hostileString.map(b64) }) },
    { weight: 1, arbitrary: fc.constant({ 'tls.crt': b64(pool.good.cert.slice(0, 200)), 'tls.key': b64(pool.good.key) }) },
  );
}

function secretArb(pool: CertPool): fc.Arbitrary<Secret> {
  return fc.record({
    name: secretNameArb,
    namespace: nsArb,
    type: fc.oneof({ weight: 6, arbitrary: fc.constant('kubernetes.io/tls') }, fc.constantFrom('Opaque', 'kubernetes.io/basic-auth')),
    data: pemDataArb(pool),
  }).map((r) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: r.name, namespace: r.namespace }, type: r.type, data: r.data }) as unknown as Secret);
}

/** An Ingress of ours with a TLS entry and the Secret it names (the pair random names rarely make). */
function tlsPairArb(pool: CertPool): fc.Arbitrary<{ ingress: Ingress; secret: Secret }> {
  return fc.record({ host: hostArb, data: pemDataArb(pool) }).map(({ host, data }) => ({
    ingress: {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'tls-pair', namespace: 'default', creationTimestamp: '' },
      spec: { ingressClassName: 'rauta', tls: [{ hosts: [host], secretName: 'tls-pair' }], rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    } as unknown as Ingress,
    secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-pair', namespace: 'default' }, type: 'kubernetes.io/tls', data } as unknown as Secret,
  }));
}

/** A whole hostile snapshot: up to a handful of each kind. */
export function objectSetArb(pool: CertPool): fc.Arbitrary<ObjectSet> {
  return fc.record({
    ingresses: fc.array(ingressArb, { maxLength: 6 }),
    ingressClasses: fc.array(classArb, { maxLength: 2 }),
    services: fc.array(serviceArb, { maxLength: 4 }),
    endpointSlices: fc.array(sliceArb, { maxLength: 4 }),
    secrets: fc.array(secretArb(pool), { maxLength: 4 }),
    pair: fc.option(tlsPairArb(pool), { nil: undefined, freq: 1 }),
  }).map(({ pair, ...s }) => ({
    ...s,
    ingresses: pair ? [...s.ingresses, pair.ingress] : s.ingresses,
    secrets: pair ? [...s.secrets, pair.secret] : s.secrets,
    problems: [],
  }));
}
