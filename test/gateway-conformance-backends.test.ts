import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriverFactory } from './support/conformance-driver.ts';
import { APP, INFRA, WEB, answeredBy, scenario, servedBy } from './support/gateway-conformance.ts';
import { backendRef, gateway, httpRoute, parent, referenceGrant } from './support/gateway-manifests.ts';
import { kubeDriver } from './support/kube-driver.ts';
import { standaloneDriver } from './support/standalone-driver.ts';

/**
 * Gateway API conformance, backends and attachment, over real sockets in both modes:
 *
 * | case here                          | conformance test                              | feature     |
 * |------------------------------------|-----------------------------------------------|-------------|
 * | weights 70/30/0                    | HTTPRouteWeight                               | HTTPRoute   |
 * | all backends weight 0              | HTTPRouteAllBackendsWeightZero (500)          | HTTPRoute   |
 * | granted cross-namespace backend    | HTTPRouteReferenceGrant                       | ReferenceGrant |
 * | cross-namespace backend, no grant  | HTTPRouteInvalidCrossNamespaceBackendRef      | HTTPRoute   |
 * | missing Service                    | HTTPRouteInvalidNonExistentBackendRef         | HTTPRoute   |
 * | unknown backendRef kind            | HTTPRouteInvalidBackendRefUnknownKind         | HTTPRoute   |
 * | route in another namespace         | HTTPRouteCrossNamespace, HTTPRouteInvalidCrossNamespaceParentRef | HTTPRoute |
 * | listener hostnames                 | HTTPRouteListenerHostnameMatching             | HTTPRoute   |
 * | route/listener hostname intersection | HTTPRouteHostnameIntersection               | HTTPRoute   |
 * | attached routes per listener       | GatewayWithAttachedRoutes                     | Gateway     |
 */
function backendsSuite(mode: string, makeDriver: DriverFactory): void {
  describe(`gateway conformance (${mode}) - HTTPRouteWeight`, () => {
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'weighted-backends', {
      parentRefs: [parent(INFRA, 'same-namespace')],
      rules: [{ backendRefs: [backendRef('infra-backend-v1', 8080, { weight: 70 }), backendRef('infra-backend-v2', 8080, { weight: 30 }), backendRef('infra-backend-v3', 8080, { weight: 0 })] }],
    })]);
    it('traffic splits about 70/30 and weight 0 gets none', async () => {
      const counts: Record<string, number> = {};
      const total = 300;
      for (let i = 0; i < total; i++) {
        const a = await s.send({ path: '/' });
        assert.equal(a.status, 200);
        const svc = a.echo?.service ?? 'none';
        counts[svc] = (counts[svc] ?? 0) + 1;
      }
      assert.equal(counts['infra-backend-v3'], undefined, 'weight 0 must get no traffic');
      // The conformance test allows ±5% of the expected share per backend over 500 requests; 300 here, so a bit wider.
      const v1 = (counts['infra-backend-v1'] ?? 0) / total;
      assert.ok(v1 > 0.6 && v1 < 0.8, `infra-backend-v1 got ${(v1 * 100).toFixed(1)} % (want ~70 %)`);
      assert.equal((counts['infra-backend-v1'] ?? 0) + (counts['infra-backend-v2'] ?? 0), total);
    });
  });

  describe(`gateway conformance (${mode}) - HTTPRouteAllBackendsWeightZero and invalid backendRefs`, () => {
    const s = scenario(makeDriver, () => [
      httpRoute(INFRA, 'weight-zero', { parentRefs: [parent(INFRA, 'same-namespace')], rules: [{ matches: [{ path: { value: '/zero' } }], backendRefs: [backendRef('infra-backend-v1', 8080, { weight: 0 })] }] }),
      httpRoute(INFRA, 'invalid-backends', {
        parentRefs: [parent(INFRA, 'same-namespace')],
        rules: [
          { matches: [{ path: { value: '/missing' } }], backendRefs: [backendRef('does-not-exist')] },
          { matches: [{ path: { value: '/kind' } }], backendRefs: [{ group: 'unknownkind.example.com', kind: 'NonExistent', name: 'infra-backend-v1', port: 8080 }] },
          { matches: [{ path: { value: '/cross' } }], backendRefs: [backendRef('web-backend', 8080, { namespace: WEB })] },
        ],
      }),
    ]);
    for (const path of ['/zero', '/missing', '/kind', '/cross']) {
      it(`${path} → 500 (no usable backend)`, async () => answeredBy(await s.send({ path }), 500));
    }
    it('the route status names the reason (ResolvedRefs: BackendNotFound, InvalidKind, RefNotPermitted)', () => {
      const st = s.driver.table().gatewayStatus?.routes.find((r) => r.name === 'invalid-backends');
      const resolved = st?.parents[0].conditions.find((c) => c.type === 'ResolvedRefs');
      assert.equal(resolved?.status, 'False');
      assert.equal(resolved?.reason, 'BackendNotFound');
      for (const part of ['does-not-exist', 'only core Services', 'no ReferenceGrant']) assert.match(resolved?.message ?? '', new RegExp(part));
    });
  });

  describe(`gateway conformance (${mode}) - HTTPRouteReferenceGrant`, () => {
    const s = scenario(makeDriver, () => [
      httpRoute(INFRA, 'reference-grant', { parentRefs: [parent(INFRA, 'same-namespace')], rules: [{ backendRefs: [backendRef('app-backend-v1', 8080, { namespace: APP })] }] }),
      referenceGrant(APP, 'reference-grant', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: INFRA }], [{ group: '', kind: 'Service', name: 'app-backend-v1' }]),
      // A grant for another Service, or from another namespace, grants nothing here.
      referenceGrant(APP, 'not-this-one', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: WEB }], [{ group: '', kind: 'Service' }]),
    ]);
    it('a granted cross-namespace backendRef is served', async () => {
      servedBy(await s.send({ path: '/' }), 'app-backend-v1', APP);
    });
  });

  describe(`gateway conformance (${mode}) - HTTPRouteCrossNamespace`, () => {
    const s = scenario(makeDriver, () => [
      httpRoute(WEB, 'cross-namespace', { parentRefs: [parent(INFRA, 'backend-namespaces')], rules: [{ matches: [{ path: { value: '/web' } }], backendRefs: [backendRef('web-backend')] }] }),
      httpRoute(WEB, 'invalid-cross-namespace-parent-ref', { parentRefs: [parent(INFRA, 'same-namespace')], rules: [{ matches: [{ path: { value: '/nope' } }], backendRefs: [backendRef('web-backend')] }] }),
    ]);
    it('a route from a namespace the listener selects is served', async () => {
      servedBy(await s.send({ path: '/web' }), 'web-backend', WEB);
    });
    it('a route whose parent allows only its own namespace is not', async () => {
      answeredBy(await s.send({ path: '/nope' }), 404);
      const st = s.driver.table().gatewayStatus?.routes.find((r) => r.name === 'invalid-cross-namespace-parent-ref');
      const accepted = st?.parents[0].conditions.find((c) => c.type === 'Accepted');
      assert.deepEqual([accepted?.status, accepted?.reason], ['False', 'NotAllowedByListeners']);
    });
  });

  describe(`gateway conformance (${mode}) - HTTPRouteListenerHostnameMatching and HTTPRouteHostnameIntersection`, () => {
    const s = scenario(makeDriver, () => [
      gateway(INFRA, 'httproute-listener-hostname-matching', [
        { name: 'listener-1', hostname: 'bar.com' },
        { name: 'listener-2', hostname: 'foo.bar.com' },
        { name: 'listener-3', hostname: '*.bar.com' },
        { name: 'listener-4', hostname: '*.foo.com' },
      ]),
      httpRoute(INFRA, 'backend-v1', { parentRefs: [parent(INFRA, 'httproute-listener-hostname-matching', { sectionName: 'listener-1' })], rules: [{ backendRefs: [backendRef('infra-backend-v1')] }] }),
      httpRoute(INFRA, 'backend-v2', { parentRefs: [parent(INFRA, 'httproute-listener-hostname-matching', { sectionName: 'listener-2' })], rules: [{ backendRefs: [backendRef('infra-backend-v2')] }] }),
      httpRoute(INFRA, 'backend-v3', {
        parentRefs: [parent(INFRA, 'httproute-listener-hostname-matching', { sectionName: 'listener-3' }), parent(INFRA, 'httproute-listener-hostname-matching', { sectionName: 'listener-4' })],
        rules: [{ backendRefs: [backendRef('infra-backend-v3')] }],
      }),
      // Intersection: the route names a host under the wildcard listener and one outside every listener.
      httpRoute(INFRA, 'intersection', {
        parentRefs: [parent(INFRA, 'httproute-listener-hostname-matching', { sectionName: 'listener-4' })],
        hostnames: ['very.specific.foo.com', 'non.matching.com'],
        rules: [{ matches: [{ path: { value: '/s1' } }], backendRefs: [backendRef('infra-backend-v1')] }],
      }),
    ]);
    const cases: [string, string | 404][] = [
      ['bar.com', 'infra-backend-v1'], ['foo.bar.com', 'infra-backend-v2'], ['baz.bar.com', 'infra-backend-v3'],
      ['boo.bar.com', 'infra-backend-v3'], ['multiple.prefixes.bar.com', 'infra-backend-v3'], ['multiple.prefixes.foo.com', 'infra-backend-v3'],
      ['foo.com', 404], ['no.matching.host', 404],
    ];
    for (const [host, want] of cases) {
      it(`Host: ${host} → ${want}`, async () => {
        const a = await s.send({ host, path: '/' });
        if (want === 404) answeredBy(a, 404);
        else servedBy(a, want);
      });
    }
    it('the intersection serves the route\'s specific host and not the one outside the listener', async () => {
      servedBy(await s.send({ host: 'very.specific.foo.com', path: '/s1' }), 'infra-backend-v1');
      answeredBy(await s.send({ host: 'non.matching.com', path: '/s1' }), 404);
    });
  });

  describe(`gateway conformance (${mode}) - GatewayWithAttachedRoutes`, () => {
    const s = scenario(makeDriver, () => [
      gateway(INFRA, 'gateway-with-one-attached-route', [{ name: 'http', hostname: 'foo.example.com' }]),
      gateway(INFRA, 'gateway-with-two-attached-routes', [{ name: 'http', hostname: 'bar.example.com' }]),
      gateway(INFRA, 'unresolved-gateway-with-one-attached-unresolved-route', [{ name: 'tls', protocol: 'HTTPS', port: 443, hostname: 'secure.test.com', certificateRefs: [{ name: 'does-not-exist' }] }]),
      httpRoute(INFRA, 'http-route-1', { parentRefs: [parent(INFRA, 'gateway-with-one-attached-route'), parent(INFRA, 'gateway-with-two-attached-routes')], rules: [{ backendRefs: [backendRef('infra-backend-v1')] }] }),
      httpRoute(INFRA, 'http-route-2', { parentRefs: [parent(INFRA, 'gateway-with-two-attached-routes')], rules: [{ backendRefs: [backendRef('infra-backend-v1')] }] }),
      httpRoute(INFRA, 'http-route-4', { parentRefs: [parent(INFRA, 'unresolved-gateway-with-one-attached-unresolved-route')], rules: [{ backendRefs: [backendRef('does-not-exist')] }] }),
    ]);
    const listener = (gw: string) => s.driver.table().gatewayStatus?.gateways.find((g) => g.name === gw)?.listeners[0];
    it('listeners count their attached routes', () => {
      assert.equal(listener('gateway-with-one-attached-route')?.attachedRoutes, 1);
      assert.equal(listener('gateway-with-two-attached-routes')?.attachedRoutes, 2);
    });
    it('a listener with an unresolved certificate still counts its route, and says why it is not programmed', () => {
      const l = listener('unresolved-gateway-with-one-attached-unresolved-route');
      assert.equal(l?.attachedRoutes, 1);
      const resolved = l?.conditions.find((c) => c.type === 'ResolvedRefs');
      assert.deepEqual([resolved?.status, resolved?.reason], ['False', 'InvalidCertificateRef']);
    });
    it('both Gateways serve http-route-1 on their hostnames', async () => {
      servedBy(await s.send({ host: 'foo.example.com', path: '/' }), 'infra-backend-v1');
      servedBy(await s.send({ host: 'bar.example.com', path: '/' }), 'infra-backend-v1');
    });
  });
}

backendsSuite('standalone', standaloneDriver);
backendsSuite('kubernetes', kubeDriver);
