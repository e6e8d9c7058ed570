import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before } from 'node:test';
import { type EchoServer, startEcho } from '../../src/demo/echo-server.ts';
import { get } from './client.ts';
import type { ConformanceDriver, DriverFactory } from './conformance-driver.ts';
import { gateway, gatewayClass } from './gateway-manifests.ts';
import { validateKubeObject } from './kube-schema.ts';
import type { Obj } from './manifests.ts';

/**
 * The Gateway API conformance suite's base set-up (conformance/base/manifests.yaml), ported: three
 * namespaces, the GatewayClass, the Gateways `same-namespace`, `all-namespaces` and
 * `backend-namespaces`, and the echo backends infra-backend-v1..v3, app-backend-v1..v2 and
 * web-backend, each a real echo server on its own 127.0.0.x address that reports what it received.
 * Every listener is served on RAUTA's one HTTP port, so a scenario's routes are the only ones applied.
 */
export const INFRA = 'gateway-conformance-infra';
export const APP = 'gateway-conformance-app-backend';
export const WEB = 'gateway-conformance-web-backend';

export interface Echo {
  path: string;
  host: string;
  method: string;
  headers: IncomingHttpHeaders;
  namespace: string;
  service: string;
  pod: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly echo: Echo | undefined;
}

export interface Request {
  readonly method?: string;
  readonly host?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
}

export async function send(driver: ConformanceDriver, r: Request): Promise<Answer> {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  headers.host = r.host ?? 'example.com';
  const res = await get(driver.httpPort, r.path, headers, r.method ?? 'GET');
  const echo = String(res.headers['content-type']).startsWith('application/json') ? (JSON.parse(res.body) as Echo) : undefined;
  return { status: res.status, headers: res.headers, echo };
}

/** The answer came from `service` in `namespace` (the conformance suite's ExpectedResponse.Backend). */
export function servedBy(a: Answer, service: string, namespace = INFRA): Echo {
  assert.equal(a.status, 200, `expected 200 from ${namespace}/${service}, got ${a.status}`);
  assert.ok(a.echo, 'the response must come from an echo pod');
  assert.equal(`${a.echo.namespace}/${a.echo.service}`, `${namespace}/${service}`);
  return a.echo;
}

export function answeredBy(a: Answer, status: number): void {
  assert.equal(a.status, status);
  assert.equal(a.echo, undefined, 'no backend may answer');
}

const BACKENDS: readonly (readonly [string, string])[] = [
  [INFRA, 'infra-backend-v1'], [INFRA, 'infra-backend-v2'], [INFRA, 'infra-backend-v3'],
  [APP, 'app-backend-v1'], [APP, 'app-backend-v2'], [WEB, 'web-backend'],
];

/** Echo "pods", one per backend Service, each on its own loopback address. */
class Backends {
  readonly servers: EchoServer[] = [];

  async start(): Promise<Obj[]> {
    const objects: Obj[] = [];
    let ip = 20;
    for (const [namespace, name] of BACKENDS) {
      const address = `127.0.0.${ip++}`;
      const pod = `${name}-7d9f8-${ip}`;
      const echo = await startEcho({ namespace, ingress: '', service: name, pod }, address, 0);
      this.servers.push(echo);
      objects.push(
        { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: 'http', port: 8080, targetPort: 3000 }] } },
        {
          apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
          metadata: { name: `${name}-0`, namespace, labels: { 'kubernetes.io/service-name': name } },
          addressType: 'IPv4', ports: [{ name: 'http', port: echo.port, protocol: 'TCP' }],
          endpoints: [{ addresses: [address], conditions: { ready: true }, targetRef: { kind: 'Pod', name: pod, namespace } }],
        },
      );
    }
    return objects;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}

/** The base manifests: namespaces (labelled as in the suite), the class and the three Gateways. */
export function baseObjects(): Obj[] {
  const ns = (name: string, label: string): Obj => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'gateway-conformance': label } } });
  return [
    ns(INFRA, 'infra'), ns(APP, 'backend'), ns(WEB, 'backend'),
    gatewayClass(),
    gateway(INFRA, 'same-namespace', [{ name: 'http', from: 'Same' }]),
    gateway(INFRA, 'all-namespaces', [{ name: 'http', from: 'All' }]),
    gateway(INFRA, 'backend-namespaces', [{ name: 'http', from: 'Selector', selector: { matchLabels: { 'gateway-conformance': 'backend' } } }]),
  ];
}

/**
 * One scenario: the base objects plus `objects`, applied through a fresh driver (standalone file or
 * fake API server) before its tests, torn down after them.
 */
export function scenario(makeDriver: DriverFactory, objects: () => Obj[]) {
  const ctx = { driver: undefined as ConformanceDriver | undefined, backends: new Backends() };
  before(async () => {
    const all = [...baseObjects(), ...objects()];
    // Every Gateway API object a scenario applies must be what the CRDs accept (typed models of the
    // standard-channel schemas), so RAUTA is tested on input a cluster would actually store.
    for (const o of all.filter((x) => String(x.apiVersion).startsWith('gateway.networking.k8s.io/'))) {
      assert.deepEqual(await validateKubeObject(o), [], `${String(o.kind)} ${JSON.stringify((o.metadata as { name?: string }).name)} is not schema-valid`);
    }
    const infra = await ctx.backends.start();
    ctx.driver = await makeDriver();
    await ctx.driver.apply([...all, ...infra]);
  });
  after(async () => {
    await ctx.driver?.stop();
    await ctx.backends.close();
  });
  return {
    get driver(): ConformanceDriver {
      if (!ctx.driver) throw new Error('driver not started');
      return ctx.driver;
    },
    send: (r: Request) => send(ctx.driver as ConformanceDriver, r),
  };
}
