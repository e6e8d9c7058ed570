import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriverFactory } from './support/conformance-driver.ts';
import { INFRA, answeredBy, scenario, servedBy } from './support/gateway-conformance.ts';
import { backendRef, httpRoute, parent } from './support/gateway-manifests.ts';
import { kubeDriver } from './support/kube-driver.ts';
import { standaloneDriver } from './support/standalone-driver.ts';

/**
 * Gateway API conformance (kubernetes-sigs/gateway-api conformance/tests), matching scenarios, ported
 * onto RAUTA's drivers and run over real sockets in standalone mode and against the fake API server:
 *
 * | case here                     | conformance test              | feature                      |
 * |-------------------------------|-------------------------------|------------------------------|
 * | simple same namespace         | HTTPRouteSimpleSameNamespace  | Gateway, HTTPRoute           |
 * | path and header matching      | HTTPRouteMatching             | HTTPRoute                    |
 * | header matching               | HTTPRouteHeaderMatching       | HTTPRoute                    |
 * | exact path matching           | HTTPRouteExactPathMatching    | HTTPRoute                    |
 * | query param matching          | HTTPRouteQueryParamMatching   | HTTPRouteQueryParamMatching  |
 * | method matching               | HTTPRouteMethodMatching       | HTTPRouteMethodMatching      |
 * | path match order              | HTTPRoutePathMatchOrder       | HTTPRoutePathMatchOrder      |
 *
 * Requests, expected backends and 404s follow the originals' ExpectedResponse tables.
 */
const rule = (matches: unknown[], backend: string) => ({ matches, backendRefs: [backendRef(backend)] });
const same = [parent(INFRA, 'same-namespace')];

function matchingSuite(mode: string, makeDriver: DriverFactory): void {
  describe(`gateway conformance (${mode}) - HTTPRouteSimpleSameNamespace`, () => {
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'gateway-conformance-infra-test', { parentRefs: same, rules: [{ backendRefs: [backendRef('infra-backend-v1')] }] })]);
    it('GET / reaches infra-backend-v1', async () => {
      const echo = servedBy(await s.send({ path: '/' }), 'infra-backend-v1');
      assert.equal(echo.path, '/');
    });
  });

  describe(`gateway conformance (${mode}) - HTTPRouteMatching`, () => {
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'matching', {
      parentRefs: same,
      rules: [
        rule([{ path: { type: 'PathPrefix', value: '/' } }, { headers: [{ name: 'version', value: 'one' }] }], 'infra-backend-v1'),
        rule([{ path: { type: 'PathPrefix', value: '/v2' } }, { headers: [{ name: 'version', value: 'two' }] }], 'infra-backend-v2'),
      ],
    })]);
    const cases: [string, Record<string, string>, string][] = [
      ['/', {}, 'infra-backend-v1'], ['/example', {}, 'infra-backend-v1'], ['/', { Version: 'one' }, 'infra-backend-v1'],
      ['/v2', {}, 'infra-backend-v2'], ['/v2/example', {}, 'infra-backend-v2'], ['/', { Version: 'two' }, 'infra-backend-v2'],
    ];
    for (const [path, headers, backend] of cases) {
      it(`${path} ${JSON.stringify(headers)} → ${backend}`, async () => {
        servedBy(await s.send({ path, headers }), backend);
      });
    }
  });

  describe(`gateway conformance (${mode}) - HTTPRouteHeaderMatching`, () => {
    const h = (...pairs: [string, string][]) => ({ headers: pairs.map(([name, value]) => ({ name, value })) });
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'matching', {
      parentRefs: same,
      rules: [
        rule([h(['version', 'one'])], 'infra-backend-v1'),
        rule([h(['version', 'two'])], 'infra-backend-v2'),
        rule([h(['version', 'two'], ['color', 'orange'])], 'infra-backend-v1'),
        rule([h(['color', 'blue']), h(['color', 'green'])], 'infra-backend-v1'),
        rule([h(['color', 'red']), h(['color', 'yellow'])], 'infra-backend-v2'),
      ],
    })]);
    const cases: [Record<string, string>, string | 404][] = [
      [{ Version: 'one' }, 'infra-backend-v1'], [{ Version: 'two' }, 'infra-backend-v2'],
      [{ Version: 'two', Color: 'orange' }, 'infra-backend-v1'], [{ Version: 'two', Color: 'blue' }, 'infra-backend-v2'],
      [{ Color: 'orange' }, 404], [{ 'Some-Other-Header': 'one' }, 404],
      [{ Color: 'blue' }, 'infra-backend-v1'], [{ Color: 'green' }, 'infra-backend-v1'],
      [{ Color: 'red' }, 'infra-backend-v2'], [{ Color: 'yellow' }, 'infra-backend-v2'], [{ Color: 'purple' }, 404],
    ];
    for (const [headers, want] of cases) {
      it(`${JSON.stringify(headers)} → ${want}`, async () => {
        const a = await s.send({ path: '/', headers });
        if (want === 404) answeredBy(a, 404);
        else servedBy(a, want);
      });
    }
  });

  describe(`gateway conformance (${mode}) - HTTPRouteExactPathMatching`, () => {
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'exact-matching', {
      parentRefs: same,
      rules: [rule([{ path: { type: 'Exact', value: '/one' } }], 'infra-backend-v1'), rule([{ path: { type: 'Exact', value: '/two' } }], 'infra-backend-v2')],
    })]);
    const cases: [string, string | 404][] = [['/one', 'infra-backend-v1'], ['/two', 'infra-backend-v2'], ['/', 404], ['/one/example', 404], ['/two/', 404]];
    for (const [path, want] of cases) {
      it(`${path} → ${want}`, async () => {
        const a = await s.send({ path });
        if (want === 404) answeredBy(a, 404);
        else servedBy(a, want);
      });
    }
  });

  describe(`gateway conformance (${mode}) - HTTPRouteQueryParamMatching`, () => {
    const q = (...pairs: [string, string][]) => pairs.map(([name, value]) => ({ name, value }));
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'query-param-matching', {
      parentRefs: same,
      rules: [
        rule([{ queryParams: q(['animal', 'whale']) }], 'infra-backend-v1'),
        rule([{ queryParams: q(['animal', 'dolphin']) }], 'infra-backend-v2'),
        rule([{ queryParams: q(['animal', 'dolphin'], ['color', 'blue']) }, { queryParams: q(['ANIMAL', 'Whale']) }], 'infra-backend-v3'),
        rule([{ path: { type: 'PathPrefix', value: '/path1' }, queryParams: q(['animal', 'whale']) }], 'infra-backend-v1'),
        rule([{ headers: [{ name: 'version', value: 'one' }], queryParams: q(['animal', 'whale']) }], 'infra-backend-v2'),
        rule([{ path: { type: 'PathPrefix', value: '/path2' }, headers: [{ name: 'version', value: 'two' }], queryParams: q(['animal', 'whale']) }], 'infra-backend-v3'),
        rule([
          { path: { type: 'PathPrefix', value: '/path3' }, queryParams: q(['animal', 'shark']) },
          { path: { type: 'PathPrefix', value: '/path4' }, headers: [{ name: 'version', value: 'three' }], queryParams: q(['animal', 'kraken']) },
        ], 'infra-backend-v1'),
        rule([{ path: { type: 'PathPrefix', value: '/path5' }, queryParams: q(['animal', 'hydra']) }], 'infra-backend-v1'),
        rule([{ queryParams: q(['animal', 'hydra']) }], 'infra-backend-v2'),
        rule([{ headers: [{ name: 'version', value: 'four' }], queryParams: q(['animal', 'hydra']) }], 'infra-backend-v3'),
      ],
    })]);
    const cases: [string, Record<string, string>, string | 404][] = [
      ['/?animal=whale', {}, 'infra-backend-v1'], ['/?animal=dolphin', {}, 'infra-backend-v2'],
      ['/?animal=dolphin&color=blue', {}, 'infra-backend-v3'], ['/?ANIMAL=Whale', {}, 'infra-backend-v3'],
      ['/?animal=whale&otherparam=irrelevant', {}, 'infra-backend-v1'], ['/?animal=dolphin&color=yellow', {}, 'infra-backend-v2'],
      ['/?color=blue', {}, 404], ['/?animal=dog', {}, 404], ['/?animal=whaledolphin', {}, 404], ['/', {}, 404],
      ['/path1?animal=whale', {}, 'infra-backend-v1'], ['/?animal=whale', { version: 'one' }, 'infra-backend-v2'],
      ['/path2?animal=whale', { version: 'two' }, 'infra-backend-v3'],
      ['/path3?animal=shark', {}, 'infra-backend-v1'], ['/path4?animal=kraken', { version: 'three' }, 'infra-backend-v1'],
      ['/?animal=shark', {}, 404], ['/path4?animal=kraken', {}, 404],
      ['/path5?animal=hydra', {}, 'infra-backend-v1'], ['/?animal=hydra', { version: 'four' }, 'infra-backend-v3'],
    ];
    for (const [path, headers, want] of cases) {
      it(`${path} ${JSON.stringify(headers)} → ${want}`, async () => {
        const a = await s.send({ path, headers });
        if (want === 404) answeredBy(a, 404);
        else servedBy(a, want);
      });
    }
  });

  describe(`gateway conformance (${mode}) - HTTPRouteMethodMatching`, () => {
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'method-matching', {
      parentRefs: same,
      rules: [
        rule([{ method: 'POST' }], 'infra-backend-v1'),
        rule([{ method: 'GET' }], 'infra-backend-v2'),
        rule([{ path: { type: 'PathPrefix', value: '/path1' }, method: 'GET' }], 'infra-backend-v1'),
        rule([{ headers: [{ name: 'version', value: 'one' }], method: 'PUT' }], 'infra-backend-v2'),
        rule([{ path: { type: 'PathPrefix', value: '/path2' }, headers: [{ name: 'version', value: 'two' }], method: 'POST' }], 'infra-backend-v3'),
        rule([
          { path: { type: 'PathPrefix', value: '/path3' }, method: 'PATCH' },
          { path: { type: 'PathPrefix', value: '/path4' }, headers: [{ name: 'version', value: 'three' }], method: 'DELETE' },
        ], 'infra-backend-v1'),
        rule([{ path: { type: 'PathPrefix', value: '/path5' }, method: 'PATCH' }], 'infra-backend-v1'),
        rule([{ method: 'PATCH' }], 'infra-backend-v3'),
        rule([{ headers: [{ name: 'version', value: 'four' }], method: 'PATCH' }], 'infra-backend-v2'),
      ],
    })]);
    const cases: [string, string, Record<string, string>, string | 404][] = [
      ['POST', '/', {}, 'infra-backend-v1'], ['GET', '/', {}, 'infra-backend-v2'], ['HEAD', '/', {}, 404],
      ['GET', '/path1', {}, 'infra-backend-v1'], ['PUT', '/', { version: 'one' }, 'infra-backend-v2'],
      ['POST', '/path2', { version: 'two' }, 'infra-backend-v3'],
      ['PATCH', '/path3', {}, 'infra-backend-v1'], ['DELETE', '/path4', { version: 'three' }, 'infra-backend-v1'],
      ['PUT', '/', {}, 404], ['DELETE', '/path4', {}, 404],
      ['PATCH', '/path5', {}, 'infra-backend-v1'], ['PATCH', '/', { version: 'four' }, 'infra-backend-v2'],
    ];
    for (const [method, path, headers, want] of cases) {
      it(`${method} ${path} ${JSON.stringify(headers)} → ${want}`, async () => {
        const a = await s.send({ method, path, headers });
        if (want === 404) {
          assert.equal(a.status, 404);
          assert.equal(a.echo, undefined);
        } else assert.equal(servedBy(a, want).method, method);
      });
    }
  });

  describe(`gateway conformance (${mode}) - HTTPRoutePathMatchOrder`, () => {
    const s = scenario(makeDriver, () => [httpRoute(INFRA, 'path-match-order', {
      parentRefs: same,
      rules: [
        rule([{ path: { type: 'PathPrefix', value: '/match' } }], 'infra-backend-v1'),
        rule([{ path: { type: 'PathPrefix', value: '/match/exact' } }], 'infra-backend-v2'),
        rule([{ path: { type: 'Exact', value: '/match/exact/one' } }], 'infra-backend-v3'),
        rule([{ path: { type: 'PathPrefix', value: '/match/prefix' }, headers: [{ name: 'x-a', value: '1' }] }], 'infra-backend-v3'),
      ],
    })]);
    const cases: [string, Record<string, string>, string][] = [
      ['/match/exact/one', {}, 'infra-backend-v3'], ['/match/exact/two', {}, 'infra-backend-v2'], ['/match/exact', {}, 'infra-backend-v2'],
      ['/match/prefix/one', { 'x-a': '1' }, 'infra-backend-v3'], ['/match/prefix/one', {}, 'infra-backend-v1'], ['/match', {}, 'infra-backend-v1'],
    ];
    for (const [path, headers, want] of cases) it(`${path} ${JSON.stringify(headers)} → ${want}`, async () => {
      servedBy(await s.send({ path, headers }), want);
    });
  });
}

matchingSuite('standalone', standaloneDriver);
matchingSuite('kubernetes', kubeDriver);
