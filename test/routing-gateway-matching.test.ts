import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteTable } from '../src/routing/route-table.ts';
import type { MatchRequest } from '../src/routing/conditions.ts';
import { backendRef, gateway, gatewayClass, httpRoute, parent } from './support/gateway-manifests.ts';
import { endpointSlice, service } from './support/manifests.ts';
import { tableFrom } from './support/translate.ts';

/**
 * Route matching for Gateway API routes on the route table itself: precedence (path type and length,
 * method, header count, query count, age), regular expressions on RE2, multi-label wildcards,
 * listener (scheme) separation and weighted splits. Each match goes to its own Service so the test can
 * tell which one won.
 */
const NS = 'shop';
const req = (over: Partial<MatchRequest> = {}): MatchRequest => ({ method: 'GET', headers: {}, query: '', scheme: 'http', ...over });
const svcs = (names: string[]) => names.flatMap((n, i) => [service(n, { namespace: NS, ports: [{ name: 'http', port: 8080 }] }), endpointSlice(n, 9000 + i, [{ ip: '127.0.0.2' }], { namespace: NS })]);
const gw = gateway(NS, 'gw', [{ name: 'web', hostname: '*.example.com' }, { name: 'tls', protocol: 'HTTPS', port: 443, hostname: 'secure.example.com', certificateRefs: [{ name: 'nope' }] }]);
const to = (table: RouteTable, host: string, path: string, r: MatchRequest = req()) => table.match(host, path, r)?.backend.service;

describe('routing - Gateway API matching', () => {
  const table = tableFrom([
    gatewayClass(), gw,
    httpRoute(NS, 'older', {
      creationTimestamp: '2026-01-01T00:00:00Z', parentRefs: [parent(NS, 'gw')], hostnames: ['shop.example.com'],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [backendRef('root')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [backendRef('api-prefix')] },
        { matches: [{ path: { type: 'Exact', value: '/api' } }], backendRefs: [backendRef('api-exact')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'POST' }], backendRefs: [backendRef('api-post')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-a', value: '1' }] }], backendRefs: [backendRef('api-h1')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-a', value: '1' }, { name: 'x-b', type: 'RegularExpression', value: 'b+' }] }], backendRefs: [backendRef('api-h2')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, queryParams: [{ name: 'v', value: '2' }] }], backendRefs: [backendRef('api-q')] },
        { matches: [{ path: { type: 'RegularExpression', value: '/items/[0-9]+' } }], backendRefs: [backendRef('items')] },
      ],
    }),
    httpRoute(NS, 'newer', {
      creationTimestamp: '2026-02-01T00:00:00Z', parentRefs: [parent(NS, 'gw')], hostnames: ['shop.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [backendRef('newer')] }],
    }),
    httpRoute(NS, 'wild', { parentRefs: [parent(NS, 'gw')], rules: [{ backendRefs: [backendRef('wild')] }] }),
    httpRoute(NS, 'split', {
      parentRefs: [parent(NS, 'gw')], hostnames: ['split.example.com'],
      rules: [{ backendRefs: [backendRef('a', 8080, { weight: 1 }), backendRef('b', 8080, { weight: 3 }), backendRef('zero', 8080, { weight: 0 })] }],
    }),
    ...svcs(['root', 'api-prefix', 'api-exact', 'api-post', 'api-h1', 'api-h2', 'api-q', 'items', 'newer', 'wild', 'a', 'b', 'zero']),
  ]);

  it('path type and length decide first', () => {
    assert.equal(to(table, 'shop.example.com', '/api'), 'api-exact');
    assert.equal(to(table, 'shop.example.com', '/api/x'), 'api-prefix');
    assert.equal(to(table, 'shop.example.com', '/apix'), 'root', 'prefixes match whole path elements');
    assert.equal(to(table, 'shop.example.com', '/items/42'), 'items');
    assert.equal(to(table, 'shop.example.com', '/items/4x'), 'root', 'regular expressions match the whole path');
  });

  it('then method, then header count, then query count; ties go to the older route', () => {
    assert.equal(to(table, 'shop.example.com', '/api/x', req({ method: 'POST', headers: { 'x-a': '1', 'x-b': 'bb' } })), 'api-post');
    assert.equal(to(table, 'shop.example.com', '/api/x', req({ headers: { 'x-a': '1', 'x-b': 'bbb' }, query: 'v=2' })), 'api-h2');
    assert.equal(to(table, 'shop.example.com', '/api/x', req({ headers: { 'x-a': '1', 'x-b': 'c' }, query: 'v=2' })), 'api-h1');
    assert.equal(to(table, 'shop.example.com', '/api/x', req({ query: 'v=2&v=3' })), 'api-q', 'the first value of a repeated parameter counts');
    assert.equal(to(table, 'shop.example.com', '/api/x', req({ query: 'v=3' })), 'api-prefix', 'the older route wins a tie');
  });

  it('Gateway wildcards span several labels; listeners keep their scheme', () => {
    assert.equal(to(table, 'a.b.example.com', '/'), 'wild');
    assert.equal(to(table, 'example.com', '/'), undefined);
    assert.equal(to(table, 'shop.example.com', '/', req({ scheme: 'https' })), undefined, 'the HTTPS listener has no valid certificate, so nothing is served there');
    assert.equal(table.match('shop.example.com', '/api'), undefined, 'Gateway routes need the request facts');
  });

  it('weighted backendRefs split in proportion; weight 0 gets nothing', () => {
    const counts = new Map<string, number>();
    const t = new RouteTable({ ...table, routes: table.routes, backends: table.backends, diagnostics: table.diagnostics, certificates: table.certificates, ingresses: table.ingresses }, (() => {
      let i = 0;
      return () => ((i++ % 400) + 0.5) / 400; // evenly spread over [0, 1)
    })());
    for (let i = 0; i < 400; i++) {
      const s = to(t, 'split.example.com', '/') ?? 'none';
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(counts), { a: 100, b: 300 });
  });
});
