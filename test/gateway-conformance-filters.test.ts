import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DriverFactory } from './support/conformance-driver.ts';
import { INFRA, answeredBy, scenario, servedBy } from './support/gateway-conformance.ts';
import { backendRef, httpRoute, parent } from './support/gateway-manifests.ts';
import { kubeDriver } from './support/kube-driver.ts';
import type { Obj } from './support/manifests.ts';
import { standaloneDriver } from './support/standalone-driver.ts';

/**
 * Gateway API conformance, filters (all onto the traffic-policy model), over real sockets in both modes:
 *
 * | case here                        | conformance test                         | feature                              |
 * |----------------------------------|------------------------------------------|--------------------------------------|
 * | request header set/add/remove    | HTTPRouteRequestHeaderModifier           | HTTPRoute                            |
 * | filter on a backendRef           | HTTPRouteBackendRequestHeaderModifier    | HTTPRoute                            |
 * | response header set/add/remove   | HTTPRouteResponseHeaderModifier          | HTTPRouteResponseHeaderModification  |
 * | redirect scheme/host/status      | HTTPRouteRedirectScheme, -HostAndStatus  | HTTPRoute                            |
 * | redirect port                    | HTTPRouteRedirectPort                    | HTTPRoutePortRedirect                |
 * | redirect path                    | HTTPRouteRedirectPath                    | HTTPRoutePathRedirect                |
 * | 303/307/308 redirects            | HTTPRoute303/307/308RedirectScheme        | HTTPRoute303/307/308RedirectStatusCode |
 * | rewrite path                     | HTTPRouteRewritePath                     | HTTPRoutePathRewrite                 |
 * | rewrite host                     | HTTPRouteRewriteHost                     | HTTPRouteHostRewrite                 |
 * | mirror                           | HTTPRouteRequestMirror                   | HTTPRouteRequestMirror               |
 * | unsupported filter               | HTTPRouteInvalidExtensionRef-like (500)  | HTTPRoute                            |
 */
const same = [parent(INFRA, 'same-namespace')];
const at = (path: string) => [{ path: { type: 'PathPrefix', value: path } }];

/** A backend that only counts what it receives: the mirror target. */
class Recorder {
  readonly seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  private server: Server | undefined;
  port = 0;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.seen.push({ path: req.url ?? '', headers: req.headers });
      req.resume();
      res.end('mirror');
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.90', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  objects(): Obj[] {
    return [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'mirror-target', namespace: INFRA }, spec: { ports: [{ name: 'http', port: 8080 }] } },
      {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'mirror-target-0', namespace: INFRA, labels: { 'kubernetes.io/service-name': 'mirror-target' } },
        addressType: 'IPv4', ports: [{ name: 'http', port: this.port }], endpoints: [{ addresses: ['127.0.0.90'], conditions: { ready: true } }],
      },
    ];
  }
  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

function filtersSuite(mode: string, makeDriver: DriverFactory): void {
  describe(`gateway conformance (${mode}) - header modifiers`, () => {
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'request-header-modifier', {
      parentRefs: same,
      rules: [
        { matches: at('/set'), filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }] } }], backendRefs: [backendRef('infra-backend-v1')] },
        { matches: at('/add'), filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'X-Header-Add', value: 'add-appends-values' }] } }], backendRefs: [backendRef('infra-backend-v1')] },
        { matches: at('/remove'), filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['X-Header-Remove'] } }], backendRefs: [backendRef('infra-backend-v1')] },
        { matches: at('/backend'), backendRefs: [backendRef('infra-backend-v2', 8080, { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Backend', value: 'v2' }] } }] })] },
        {
          matches: at('/response'),
          filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }], add: [{ name: 'X-Header-Add', value: 'add-appends-values' }], remove: ['Content-Type'] } }],
          backendRefs: [backendRef('infra-backend-v1')],
        },
      ],
    })]);
    it('set overwrites the request header', async () => {
      const echo = servedBy(await s.send({ path: '/set', headers: { 'X-Header-Set': 'some-other-value' } }), 'infra-backend-v1');
      assert.equal(echo.headers['x-header-set'], 'set-overwrites-values');
    });
    it('add appends to the request header', async () => {
      const echo = servedBy(await s.send({ path: '/add', headers: { 'X-Header-Add': 'some-value' } }), 'infra-backend-v1');
      // Two header lines; Node's echo joins them with ", " where Go's echo uses ",": the same list (RFC 9110 §5.3).
      assert.deepEqual(String(echo.headers['x-header-add']).split(/,\s*/), ['some-value', 'add-appends-values']);
    });
    it('remove drops the request header', async () => {
      const echo = servedBy(await s.send({ path: '/remove', headers: { 'X-Header-Remove': 'val' } }), 'infra-backend-v1');
      assert.equal(echo.headers['x-header-remove'], undefined);
    });
    it('a filter on a backendRef applies to that backend', async () => {
      const echo = servedBy(await s.send({ path: '/backend' }), 'infra-backend-v2');
      assert.equal(echo.headers['x-backend'], 'v2');
    });
    it('response headers are set, added and removed', async () => {
      const a = await s.send({ path: '/response' });
      assert.equal(a.status, 200);
      assert.equal(a.headers['x-header-set'], 'set-overwrites-values');
      assert.equal(a.headers['x-header-add'], 'add-appends-values');
      assert.equal(a.headers['content-type'], undefined);
    });
  });

  describe(`gateway conformance (${mode}) - redirects and rewrites`, () => {
    const redirect = (path: string, requestRedirect: Obj) => ({ matches: at(path), filters: [{ type: 'RequestRedirect', requestRedirect }] });
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'redirects', {
      parentRefs: same,
      rules: [
        redirect('/scheme', { scheme: 'https' }),
        redirect('/hostname', { hostname: 'example.org', statusCode: 301 }),
        redirect('/port', { port: 8083 }),
        redirect('/scheme-and-port', { scheme: 'https', port: 8443 }),
        redirect('/full', { path: { type: 'ReplaceFullPath', replaceFullPath: '/full-path-replacement' } }),
        redirect('/prefix', { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' } }),
        redirect('/s303', { scheme: 'https', statusCode: 303 }),
        redirect('/s307', { scheme: 'https', statusCode: 307 }),
        redirect('/s308', { scheme: 'https', statusCode: 308 }),
        { matches: at('/rewrite-prefix'), filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/prefix' } } }], backendRefs: [backendRef('infra-backend-v1')] },
        { matches: at('/rewrite-full'), filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } } }], backendRefs: [backendRef('infra-backend-v1')] },
        { matches: at('/rewrite-host'), filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'one.example.org' } }], backendRefs: [backendRef('infra-backend-v2')] },
        { matches: at('/extension'), filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Thing', name: 'x' } }], backendRefs: [backendRef('infra-backend-v1')] },
      ],
    })]);
    const cases: [string, number, string][] = [
      ['/scheme', 302, 'https://example.com/scheme'],
      ['/hostname', 301, 'http://example.org/hostname'],
      ['/port', 302, 'http://example.com:8083/port'],
      ['/scheme-and-port', 302, 'https://example.com:8443/scheme-and-port'],
      ['/full/one', 302, 'http://example.com/full-path-replacement'],
      ['/prefix/one/two?q=1', 302, 'http://example.com/replacement-prefix/one/two?q=1'],
      ['/s303', 303, 'https://example.com/s303'], ['/s307', 307, 'https://example.com/s307'], ['/s308', 308, 'https://example.com/s308'],
    ];
    for (const [path, status, location] of cases) {
      it(`${path} → ${status} ${location}`, async () => {
        const a = await s.send({ path });
        assert.equal(a.status, status);
        assert.equal(a.headers.location, location);
        assert.equal(a.echo, undefined);
      });
    }
    it('URLRewrite replaces the matched prefix, the full path, or the host the backend sees', async () => {
      assert.equal(servedBy(await s.send({ path: '/rewrite-prefix/one' }), 'infra-backend-v1').path, '/prefix/one');
      assert.equal(servedBy(await s.send({ path: '/rewrite-full/two?x=1' }), 'infra-backend-v1').path, '/one?x=1');
      assert.equal(servedBy(await s.send({ path: '/rewrite-host' }), 'infra-backend-v2').host, 'one.example.org');
    });
    it('a filter RAUTA cannot honour answers 500 instead of being skipped', async () => {
      answeredBy(await s.send({ path: '/extension' }), 500);
    });
  });

  describe(`gateway conformance (${mode}) - HTTPRouteRequestMirror`, () => {
    const mirror = new Recorder();
    before(() => mirror.start());
    after(() => mirror.close());
    const s = scenario(makeDriver, () => [
      ...mirror.objects(),
      httpRoute(INFRA, 'request-mirror', {
        parentRefs: same,
        rules: [{ matches: at('/mirror'), filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backendRef('mirror-target') } }], backendRefs: [backendRef('infra-backend-v1')] }],
      }),
    ]);
    it('the request is served by its backend and a copy reaches the mirror', async () => {
      servedBy(await s.send({ path: '/mirror/x' }), 'infra-backend-v1');
      const deadline = Date.now() + 5000;
      while (mirror.seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(mirror.seen.length, 1);
      assert.equal(mirror.seen[0].path, '/mirror/x');
    });
  });
}

filtersSuite('standalone', standaloneDriver);
filtersSuite('kubernetes', kubeDriver);
