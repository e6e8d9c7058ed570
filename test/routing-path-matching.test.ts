import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { routedTo, tableFrom } from './support/translate.ts';

/**
 * Every row of the path-matching table on the Kubernetes Ingress concept page
 * (https://kubernetes.io/docs/concepts/services-networking/ingress/#examples), plus host matching.
 * Each path is served by its own Service, named after it, so the test can tell which rule won.
 */
interface P { readonly path: string; readonly pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific'; readonly service: string }

function svcName(p: { path: string; pathType: string }): string {
  return `${p.pathType.toLowerCase()}${p.path.replaceAll('/', '-s-')}`.replace(/-+$/, '').replace(/-s-$/, '') || 'root';
}

function tableForPaths(paths: readonly Omit<P, 'service'>[], extra: { defaultBackend?: boolean } = {}) {
  const withSvc = paths.map((p) => ({ ...p, service: svcName(p) }));
  const names = [...new Set(withSvc.map((p) => p.service)), 'fallback'];
  return {
    table: tableFrom([
      ingressClass(),
      ingress('paths', {
        rules: [{ host: 'paths.test', paths: withSvc }],
        ...(extra.defaultBackend ? { defaultBackend: { service: 'fallback' } } : {}),
      }),
      ...names.flatMap((n, i) => [service(n), endpointSlice(n, 8000 + i, [{ ip: '127.0.0.2' }])]),
    ]),
    svc: (p: Omit<P, 'service'>) => svcName(p),
  };
}

interface Row {
  readonly kind: string;
  readonly paths: readonly Omit<P, 'service'>[];
  readonly request: string;
  /** The rule that must win, or 'none' (404) or 'default' (the default backend). */
  readonly expect: Omit<P, 'service'> | 'none' | 'default';
}

const prefix = (path: string) => ({ path, pathType: 'Prefix' as const });
const exact = (path: string) => ({ path, pathType: 'Exact' as const });

const ROWS: readonly Row[] = [
  { kind: 'Prefix', paths: [prefix('/')], request: '/', expect: prefix('/') },
  { kind: 'Prefix', paths: [prefix('/')], request: '/anything/at/all', expect: prefix('/') },
  { kind: 'Prefix', paths: [prefix('/')], request: '/foo/', expect: prefix('/') },
  { kind: 'Exact', paths: [exact('/foo')], request: '/foo', expect: exact('/foo') },
  { kind: 'Exact', paths: [exact('/foo')], request: '/bar', expect: 'none' },
  { kind: 'Exact', paths: [exact('/foo')], request: '/foo/', expect: 'none' },
  { kind: 'Exact', paths: [exact('/foo/')], request: '/foo', expect: 'none' },
  { kind: 'Prefix', paths: [prefix('/foo')], request: '/foo', expect: prefix('/foo') },
  { kind: 'Prefix', paths: [prefix('/foo')], request: '/foo/', expect: prefix('/foo') },
  { kind: 'Prefix', paths: [prefix('/foo/')], request: '/foo', expect: prefix('/foo/') },
  { kind: 'Prefix', paths: [prefix('/foo/')], request: '/foo/', expect: prefix('/foo/') },
  { kind: 'Prefix', paths: [prefix('/aaa/bb')], request: '/aaa/bbb', expect: 'none' },
  { kind: 'Prefix', paths: [prefix('/aaa/bbb')], request: '/aaa/bbb', expect: prefix('/aaa/bbb') },
  { kind: 'Prefix', paths: [prefix('/aaa/bbb/')], request: '/aaa/bbb', expect: prefix('/aaa/bbb/') },
  { kind: 'Prefix', paths: [prefix('/aaa/bbb')], request: '/aaa/bbb/', expect: prefix('/aaa/bbb') },
  { kind: 'Prefix', paths: [prefix('/aaa/bbb')], request: '/aaa/bbb/ccc', expect: prefix('/aaa/bbb') },
  { kind: 'Prefix', paths: [prefix('/aaa/bbb')], request: '/aaa/bbbxyz', expect: 'none' },
  { kind: 'Prefix', paths: [prefix('/'), prefix('/aaa')], request: '/aaa/ccc', expect: prefix('/aaa') },
  { kind: 'Prefix', paths: [prefix('/'), prefix('/aaa'), prefix('/aaa/bbb')], request: '/aaa/bbb', expect: prefix('/aaa/bbb') },
  { kind: 'Prefix', paths: [prefix('/'), prefix('/aaa'), prefix('/aaa/bbb')], request: '/ccc', expect: prefix('/') },
  { kind: 'Prefix', paths: [prefix('/aaa')], request: '/ccc', expect: 'default' },
  { kind: 'Mixed', paths: [prefix('/foo'), exact('/foo')], request: '/foo', expect: exact('/foo') },
];

describe('routing - the path-matching table of the Kubernetes Ingress docs', () => {
  for (const row of ROWS) {
    const rules = row.paths.map((p) => `${p.pathType} ${p.path}`).join(', ');
    const wanted = typeof row.expect === 'string' ? row.expect : `${row.expect.pathType} ${row.expect.path}`;
    it(`${row.kind}: [${rules}] request ${row.request} → ${wanted}`, () => {
      // The "uses default backend" row needs one; the others must not have it, or "no" would be hidden.
      const { table, svc } = tableForPaths(row.paths, { defaultBackend: row.expect === 'default' });
      const got = routedTo(table, 'paths.test', row.request);
      if (row.expect === 'none') assert.equal(got, undefined);
      else if (row.expect === 'default') assert.equal(got, 'default:fallback');
      else assert.equal(got, svc(row.expect));
    });
  }

  it('Mixed: Prefix /foo still serves /foo/bar when an Exact /foo exists', () => {
    const { table, svc } = tableForPaths([prefix('/foo'), exact('/foo')]);
    assert.equal(routedTo(table, 'paths.test', '/foo/bar'), svc(prefix('/foo')));
  });

  it('paths are case-sensitive, for Exact and Prefix', () => {
    const { table } = tableForPaths([exact('/foo'), prefix('/bar')]);
    assert.equal(routedTo(table, 'paths.test', '/FOO'), undefined);
    assert.equal(routedTo(table, 'paths.test', '/Bar/x'), undefined);
  });

  it('ImplementationSpecific is treated as Prefix', () => {
    const { table, svc } = tableForPaths([{ path: '/foo', pathType: 'ImplementationSpecific' }]);
    const want = svc({ path: '/foo', pathType: 'ImplementationSpecific' });
    assert.equal(routedTo(table, 'paths.test', '/foo'), want);
    assert.equal(routedTo(table, 'paths.test', '/foo/bar'), want);
    assert.equal(routedTo(table, 'paths.test', '/foobar'), undefined);
  });

  it('the longest prefix wins whatever the order the rules are written in', () => {
    const { table, svc } = tableForPaths([prefix('/aaa/bbb'), prefix('/'), prefix('/aaa')]);
    assert.equal(routedTo(table, 'paths.test', '/aaa/bbb/ccc'), svc(prefix('/aaa/bbb')));
    assert.equal(routedTo(table, 'paths.test', '/aaa/b'), svc(prefix('/aaa')));
    assert.equal(routedTo(table, 'paths.test', '/'), svc(prefix('/')));
  });
});

describe('routing - host matching', () => {
  const table = tableFrom([
    ingressClass(),
    ingress('hosts', {
      rules: [
        { host: 'foo.bar.com', paths: [{ path: '/', service: 'exact-host' }] },
        { host: '*.foo.com', paths: [{ path: '/', service: 'wildcard-host' }] },
        { host: 'shared.test', paths: [{ path: '/only', service: 'shared-only' }] },
        { paths: [{ path: '/any', service: 'any-host' }] },
      ],
    }),
    ...['exact-host', 'wildcard-host', 'shared-only', 'any-host'].flatMap((n, i) => [service(n), endpointSlice(n, 8000 + i, [{ ip: '127.0.0.2' }])]),
  ]);

  it('an exact host matches only itself', () => {
    assert.equal(routedTo(table, 'foo.bar.com', '/'), 'exact-host');
    assert.equal(routedTo(table, 'subdomain.bar.com', '/'), undefined);
    assert.equal(routedTo(table, 'bar.com', '/'), undefined);
  });

  it('a wildcard covers exactly one leftmost label', () => {
    assert.equal(routedTo(table, 'bar.foo.com', '/'), 'wildcard-host');
    assert.equal(routedTo(table, 'foo.com', '/'), undefined);
    assert.equal(routedTo(table, 'baz.bar.foo.com', '/'), undefined);
  });

  it('host matching ignores letter case and a :port suffix', () => {
    assert.equal(routedTo(table, 'FOO.Bar.COM', '/'), 'exact-host');
    assert.equal(routedTo(table, 'foo.bar.com:8080', '/'), 'exact-host');
    assert.equal(routedTo(table, 'Bar.Foo.Com:80', '/x'), 'wildcard-host');
  });

  it('rules without host apply to every host, after the host\'s own rules', () => {
    assert.equal(routedTo(table, 'anything.test', '/any/x'), 'any-host');
    assert.equal(routedTo(table, undefined, '/any'), 'any-host');
    assert.equal(routedTo(table, 'foo.bar.com', '/any'), 'exact-host');
    // A host with its own rules still falls through to the host-less rules for paths it lacks.
    assert.equal(routedTo(table, 'shared.test', '/any'), 'any-host');
    assert.equal(routedTo(table, 'shared.test', '/only/x'), 'shared-only');
  });

  it('unmatched hosts get the default backend when one exists, else nothing (404)', () => {
    assert.equal(routedTo(table, 'nobody.test', '/'), undefined);
    const withDefault = tableFrom([
      ingressClass(),
      ingress('hosts', { rules: [{ host: 'foo.bar.com', paths: [{ path: '/app', service: 'exact-host' }] }], defaultBackend: { service: 'fallback' } }),
      service('exact-host'), service('fallback'),
    ]);
    assert.equal(routedTo(withDefault, 'nobody.test', '/'), 'default:fallback');
    assert.equal(routedTo(withDefault, 'foo.bar.com', '/other'), 'default:fallback');
    assert.equal(routedTo(withDefault, 'foo.bar.com', '/app/x'), 'exact-host');
  });
});
