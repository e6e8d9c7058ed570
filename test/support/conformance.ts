import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { type EchoServer, startEcho } from '../../src/demo/echo-server.ts';
import { get } from './client.ts';
import type { ConformanceDriver, DriverFactory } from './conformance-driver.ts';
import type { Obj } from './manifests.ts';

/**
 * The public ingress-controller conformance scenarios (kubernetes-sigs/ingress-controller-conformance,
 * features default_backend, host_rules, path_rules, load_balancing, ingress_class), ported to local
 * tests. They only talk to RAUTA through a ConformanceDriver, so the same scenarios run in standalone
 * mode (a manifest file) and in Kubernetes mode (a fake API server). TLS scenarios come with TLS.
 *
 * As in the original suite: each feature gets a new random namespace, each Service is its own echo
 * deployment whose "pods" report what they received, and every request uses a fresh connection.
 */

const CLASS = 'rauta';
const CONTROLLER = 'rauta.io/ingress-controller';
const USER_AGENT = 'Go-http-client/1.1';

/** What the echo backend reports (src/demo/echo-server.ts). */
interface Echo {
  path: string;
  host: string;
  method: string;
  proto: string;
  headers: IncomingHttpHeaders;
  namespace: string;
  ingress: string;
  service: string;
  pod: string;
}

interface Answer {
  readonly status: number;
  readonly proto: string;
  readonly headers: IncomingHttpHeaders;
  /** The echo's report, when a backend answered. */
  readonly echo: Echo | undefined;
}

async function send(driver: ConformanceDriver, method: string, host: string | undefined, path: string): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  if (host !== undefined) headers.host = host;
  const res = await get(driver.httpPort, path, headers, method);
  let echo: Echo | undefined;
  if (String(res.headers['content-type']).startsWith('application/json')) echo = JSON.parse(res.body) as Echo;
  return { status: res.status, proto: `HTTP/${res.httpVersion}`, headers: res.headers, echo };
}

/** Pod addresses: every pod of a feature listens on its own loopback address. */
class Pods {
  private next = 10;
  readonly servers: EchoServer[] = [];

  /**
   * Starts `replicas` echo pods for a Service and returns its objects: the Service (port 8080 named
   * `http`, as the conformance deployments expose) and one EndpointSlice per pod (pods listen on
   * different ports, and a slice carries one port list).
   */
  async service(namespace: string, ingress: string, name: string, replicas = 1): Promise<Obj[]> {
    const objects: Obj[] = [{
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ports: [{ name: 'http', port: 8080, targetPort: 'http' }] },
    }];
    for (let i = 0; i < replicas; i++) {
      if (this.next > 250) throw new Error('out of 127.0.0.x pod addresses');
      const ip = `127.0.0.${this.next++}`;
      const pod = `${name}-${randomBytes(3).toString('hex')}-${i}`;
      const echo = await startEcho({ namespace, ingress, service: name, pod }, ip, 0);
      this.servers.push(echo);
      objects.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-${i}`, namespace, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: echo.port, protocol: 'TCP' }],
        endpoints: [{ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', name: pod, namespace } }],
      });
    }
    return objects;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}

function randomNamespace(): string {
  return `conformance-${randomBytes(4).toString('hex')}`;
}

/** The conformance cluster's IngressClass: ours, and the default, so Ingresses without a class are ours. */
function defaultIngressClass(): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: CLASS, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    spec: { controller: CONTROLLER },
  };
}

function ingress(namespace: string, name: string, spec: Obj, annotations?: Record<string, string>): Obj {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec };
}

const backend = (name: string, port: Obj = { number: 8080 }) => ({ service: { name, port } });
const path = (p: string, pathType: string, service: string) => ({ path: p, pathType, backend: backend(service) });

/** Shared set-up of a feature: a driver, a namespace, pods; torn down after its scenarios. */
function feature(makeDriver: DriverFactory, setup: (ctx: { namespace: string; pods: Pods }) => Promise<Obj[]>) {
  const ctx = { driver: undefined as ConformanceDriver | undefined, namespace: randomNamespace(), pods: new Pods() };
  before(async () => {
    const objects = await setup({ namespace: ctx.namespace, pods: ctx.pods });
    ctx.driver = await makeDriver();
    await ctx.driver.apply(objects);
  });
  after(async () => {
    await ctx.driver?.stop();
    await ctx.pods.close();
  });
  return {
    get driver(): ConformanceDriver {
      if (!ctx.driver) throw new Error('driver not started');
      return ctx.driver;
    },
    namespace: ctx.namespace,
  };
}

function servedBy(a: Answer, service: string, namespace: string): Echo {
  assert.equal(a.status, 200, `expected 200 from ${service}, got ${a.status}`);
  assert.ok(a.echo, 'the response must come from an echo pod');
  assert.equal(a.echo.service, service);
  assert.equal(a.echo.namespace, namespace);
  assert.ok(a.echo.pod.startsWith(`${service}-`), `pod ${a.echo.pod} belongs to ${service}`);
  return a.echo;
}

function notRouted(a: Answer): void {
  assert.equal(a.status, 404);
  assert.equal(a.echo, undefined, 'no backend may answer');
}

function defaultBackendFeature(mode: string, makeDriver: DriverFactory): void {
  describe(`conformance (${mode}) - default_backend`, () => {
    const f = feature(makeDriver, async ({ namespace, pods }) => [
      defaultIngressClass(),
      ingress(namespace, 'default-backend', { defaultBackend: backend('echo-service') }),
      ...await pods.service(namespace, 'default-backend', 'echo-service'),
    ]);
    const examples = [
      { method: 'GET', host: 'my-host', path: '' },
      { method: 'GET', host: 'my-host', path: 'sub-path' },
      { method: 'POST', host: 'some-host', path: '' },
      { method: 'PUT', host: undefined, path: 'resource' },
      { method: 'DELETE', host: 'some-host', path: 'resource' },
      { method: 'PATCH', host: 'my-host', path: 'resource' },
    ];
    for (const ex of examples) {
      it(`An Ingress with no rules should send all requests to the default backend: ${ex.method} http://${ex.host ?? ''}/${ex.path}`, async () => {
        const a = await send(f.driver, ex.method, ex.host, `/${ex.path}`);
        const echo = servedBy(a, 'echo-service', f.namespace);
        assert.equal(echo.ingress, 'default-backend');
        assert.equal(a.proto, 'HTTP/1.1');
        for (const h of ['content-length', 'content-type', 'date', 'server']) assert.ok(a.headers[h], `response header ${h} missing`);
        assert.equal(echo.method, ex.method);
        assert.equal(echo.path, `/${ex.path}`);
        assert.equal(echo.proto, 'HTTP/1.1');
        assert.equal(echo.headers['user-agent'], USER_AGENT);
        if (ex.host !== undefined) assert.equal(echo.host, ex.host);
      });
    }
  });
}

function hostRulesFeature(mode: string, makeDriver: DriverFactory): void {
  describe(`conformance (${mode}) - host_rules`, () => {
    const f = feature(makeDriver, async ({ namespace, pods }) => {
      const pems = await generate([{ name: 'commonName', value: 'foo.bar.com' }], { keyType: 'ec' });
      return [
        defaultIngressClass(),
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'conformance-tls', namespace },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': Buffer.from(pems.cert).toString('base64'), 'tls.key': Buffer.from(pems.private).toString('base64') },
        },
        ingress(namespace, 'host-rules', {
          tls: [{ hosts: ['foo.bar.com'], secretName: 'conformance-tls' }],
          rules: [
            { host: '*.foo.com', http: { paths: [path('/', 'Prefix', 'wildcard-foo-com')] } },
            { host: 'foo.bar.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('foo-bar-com', { name: 'http' }) }] } },
          ],
        }, {
          // Deviation from the original manifest: RAUTA redirects plain HTTP to HTTPS for TLS hosts by
          // default (308, issue 6), while this scenario sends plain HTTP to the TLS host foo.bar.com and
          // expects the backend's 200. The documented opt-out keeps the scenario's expectation intact.
          'rauta.io/ssl-redirect': 'false',
        }),
        ...await pods.service(namespace, 'host-rules', 'wildcard-foo-com'),
        ...await pods.service(namespace, 'host-rules', 'foo-bar-com'),
      ];
    });

    it('An Ingress with a host rule should send traffic to the matching backend service', async () => {
      const echo = servedBy(await send(f.driver, 'GET', 'foo.bar.com', '/'), 'foo-bar-com', f.namespace);
      assert.equal(echo.host, 'foo.bar.com');
    });
    it('An Ingress with a host rule should not route traffic when hostname does not match', async () => {
      notRouted(await send(f.driver, 'GET', 'subdomain.bar.com', '/'));
    });
    it('An Ingress with a wildcard host rule should send traffic to the matching backend service', async () => {
      const echo = servedBy(await send(f.driver, 'GET', 'bar.foo.com', '/'), 'wildcard-foo-com', f.namespace);
      assert.equal(echo.host, 'bar.foo.com');
    });
    it('An Ingress with a wildcard host rule should not route traffic matching on more than a single dns label', async () => {
      notRouted(await send(f.driver, 'GET', 'baz.bar.foo.com', '/'));
    });
    it('An Ingress with a wildcard host rule should not route traffic matching no dns label', async () => {
      notRouted(await send(f.driver, 'GET', 'foo.com', '/'));
    });
  });
}

function pathRulesFeature(mode: string, makeDriver: DriverFactory): void {
  describe(`conformance (${mode}) - path_rules`, () => {
    const services = ['foo-exact', 'foo-prefix', 'aaa-slash-bbb-prefix', 'aaa-prefix', 'aaa-slash-bbb-slash-prefix', 'foo-slash-exact'];
    const f = feature(makeDriver, async ({ namespace, pods }) => [
      defaultIngressClass(),
      ingress(namespace, 'path-rules', {
        rules: [
          { host: 'exact-path-rules', http: { paths: [path('/foo', 'Exact', 'foo-exact')] } },
          {
            host: 'prefix-path-rules',
            http: { paths: [path('/foo', 'Prefix', 'foo-prefix'), path('/aaa/bbb', 'Prefix', 'aaa-slash-bbb-prefix'), path('/aaa', 'Prefix', 'aaa-prefix')] },
          },
          { host: 'mixed-path-rules', http: { paths: [path('/foo', 'Prefix', 'foo-prefix'), path('/foo', 'Exact', 'foo-exact')] } },
          {
            host: 'trailing-slash-path-rules',
            http: { paths: [path('/aaa/bbb/', 'Prefix', 'aaa-slash-bbb-slash-prefix'), path('/foo/', 'Exact', 'foo-slash-exact')] },
          },
        ],
      }),
      ...(await Promise.all(services.map((s) => pods.service(namespace, 'path-rules', s)))).flat(),
    ]);

    const routed: [string, string, string, string][] = [
      ['An Ingress with exact path rules should send traffic to the matching backend service', 'exact-path-rules', '/foo', 'foo-exact'],
      ['An Ingress with prefix path rules should send traffic to the matching backend service', 'prefix-path-rules', '/foo', 'foo-prefix'],
      ['An Ingress with prefix path rules should ignore the request trailing slash', 'prefix-path-rules', '/foo/', 'foo-prefix'],
      ['An Ingress with prefix path rules should match multiple labels, match the longest path', 'prefix-path-rules', '/aaa/bbb', 'aaa-slash-bbb-prefix'],
      ['An Ingress with prefix path rules should match multiple labels, the longest path, and subpaths', 'prefix-path-rules', '/aaa/bbb/ccc', 'aaa-slash-bbb-prefix'],
      ['An Ingress with prefix path rules should send traffic to the matching backend service (/aaa/ccc)', 'prefix-path-rules', '/aaa/ccc', 'aaa-prefix'],
      ['An Ingress with mixed path rules should send traffic to the matching backend service where Exact is preferred', 'mixed-path-rules', '/foo', 'foo-exact'],
      ['A trailing slash in a prefix path rule is ignored (request /aaa/bbb)', 'trailing-slash-path-rules', '/aaa/bbb', 'aaa-slash-bbb-slash-prefix'],
      ['A trailing slash in a prefix path rule is ignored (request /aaa/bbb/)', 'trailing-slash-path-rules', '/aaa/bbb/', 'aaa-slash-bbb-slash-prefix'],
    ];
    for (const [title, host, p, service] of routed) {
      it(`${title}: http://${host}${p} → ${service}`, async () => {
        const echo = servedBy(await send(f.driver, 'GET', host, p), service, f.namespace);
        assert.equal(echo.path, p);
        assert.equal(echo.host, host);
      });
    }

    const refused: [string, string, string][] = [
      ['An Ingress with exact path rules should not match requests with trailing slash', 'exact-path-rules', '/foo/'],
      ['An Ingress with exact path rules should be case sensitive', 'exact-path-rules', '/FOO'],
      ['An Ingress with exact path rules should not match any other label', 'exact-path-rules', '/bar'],
      ['An Ingress with prefix path rules should be case sensitive', 'prefix-path-rules', '/FOO'],
      ['An Ingress with prefix path rules should match each labels string prefix', 'prefix-path-rules', '/aaaccc'],
      ['An Ingress with a trailing slash in an exact path rule should not match requests without it', 'trailing-slash-path-rules', '/foo'],
    ];
    for (const [title, host, p] of refused) {
      it(`${title}: http://${host}${p} → 404`, async () => {
        notRouted(await send(f.driver, 'GET', host, p));
      });
    }
  });
}

function loadBalancingFeature(mode: string, makeDriver: DriverFactory): void {
  describe(`conformance (${mode}) - load_balancing`, () => {
    const f = feature(makeDriver, async ({ namespace, pods }) => [
      defaultIngressClass(),
      ingress(namespace, 'load-balancing', { defaultBackend: backend('echo-service') }),
      ...await pods.service(namespace, 'load-balancing', 'echo-service', 10),
    ]);

    it('An Ingress with no rules should send all requests to the default backend and use all 10 pods', async () => {
      const seen = new Map<string, number>();
      for (let i = 0; i < 100; i++) {
        const a = await send(f.driver, 'GET', 'load-balancing', '/');
        const echo = servedBy(a, 'echo-service', f.namespace);
        seen.set(echo.pod, (seen.get(echo.pod) ?? 0) + 1);
      }
      assert.equal(seen.size, 10, `pods that answered: ${JSON.stringify(Object.fromEntries(seen))}`);
    });
  });
}

function ingressClassFeature(mode: string, makeDriver: DriverFactory): void {
  describe(`conformance (${mode}) - ingress_class`, () => {
    const f = feature(makeDriver, async ({ namespace, pods }) => [
      defaultIngressClass(),
      ingress(namespace, 'test-ingress-class', {
        ingressClassName: 'some-invalid-class-name',
        rules: [{ host: 'ingress-class', http: { paths: [path('/', 'Prefix', 'ingress-class-prefix')] } }],
      }),
      // Not in the original scenario: a control Ingress proving the same apply did take effect, so the
      // 404 below means "not ours", not "nothing loaded yet".
      ingress(namespace, 'control', {
        ingressClassName: CLASS,
        rules: [{ host: 'ingress-class-control', http: { paths: [path('/', 'Prefix', 'ingress-class-prefix')] } }],
      }),
      ...await pods.service(namespace, 'test-ingress-class', 'ingress-class-prefix'),
    ]);

    it('An Ingress with an invalid ingress class should not send traffic to the matching backend service', async () => {
      servedBy(await send(f.driver, 'GET', 'ingress-class-control', '/'), 'ingress-class-prefix', f.namespace);
      notRouted(await send(f.driver, 'GET', 'ingress-class', '/'));
    });
  });
}

/** Registers every ported conformance feature as node:test suites, run against drivers from `makeDriver`. */
export function conformanceSuite(mode: string, makeDriver: DriverFactory): void {
  defaultBackendFeature(mode, makeDriver);
  hostRulesFeature(mode, makeDriver);
  pathRulesFeature(mode, makeDriver);
  loadBalancingFeature(mode, makeDriver);
  ingressClassFeature(mode, makeDriver);
}
