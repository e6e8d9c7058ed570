import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingress, ingressClass, service } from './support/manifests.ts';
import { tableFrom } from './support/translate.ts';

/** Which routes are TLS (and so redirect plain HTTP): one tenant's TLS entry must not reach another's hosts. */
describe('translate - which hosts a spec.tls entry makes TLS', () => {
  const tlsOf = (table: ReturnType<typeof tableFrom>, host: string) => table.routes.filter((r) => r.host === host).map((r) => `${r.ingress.namespace}/${r.ingress.name}:${r.tls}`);

  it("a wildcard tls entry covers its own Ingress's hosts only, never another namespace's plain host", () => {
    const table = tableFrom([
      ingressClass(),
      service('app', { namespace: 'a' }), service('app', { namespace: 'b' }),
      ingress('wild', { namespace: 'a', tls: [{ hosts: ['*.test'] }], rules: [{ host: 'shop.test', paths: [{ service: 'app' }] }] }),
      ingress('plain', { namespace: 'b', rules: [{ host: 'canary.test', paths: [{ service: 'app' }] }] }),
    ]);
    assert.deepEqual(tlsOf(table, 'shop.test'), ['a/wild:true']);
    assert.deepEqual(tlsOf(table, 'canary.test'), ['b/plain:false']);
  });

  it('an exact tls host is TLS for every Ingress that routes that host (per host, as ingress-nginx merges them)', () => {
    const table = tableFrom([
      ingressClass(),
      service('web', { namespace: 'a' }), service('api', { namespace: 'a' }),
      ingress('web', { namespace: 'a', tls: [{ hosts: ['shop.test'] }], rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'web' }] }] }),
      ingress('api', { namespace: 'a', rules: [{ host: 'shop.test', paths: [{ path: '/api', service: 'api' }] }] }),
    ]);
    assert.deepEqual(tlsOf(table, 'shop.test').sort(), ['a/api:true', 'a/web:true']);
  });

  it('a tls entry without hosts covers the rules of its own Ingress', () => {
    const table = tableFrom([
      ingressClass(), service('app'),
      ingress('own', { tls: [{}], rules: [{ host: 'one.test', paths: [{ service: 'app' }] }] }),
      ingress('other', { rules: [{ host: 'two.test', paths: [{ service: 'app' }] }] }),
    ]);
    assert.deepEqual(tlsOf(table, 'one.test'), ['default/own:true']);
    assert.deepEqual(tlsOf(table, 'two.test'), ['default/other:false']);
  });
});
