import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CertificateStore } from '../src/proxy/tls/certificate-store.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import type { TlsCertificate } from '../src/routing/types.ts';
import { type TestCert, makeCert } from './support/certs.ts';

const startup = makeCert(['startup.test']);
const exact = makeCert(['a.foo.test']);
const wild = makeCert(['*.foo.test']);
const other = makeCert(['a.foo.test']);

function table(certs: [string, TestCert, string[]][], dflt?: TestCert): RouteTable {
  const certificates: TlsCertificate[] = certs.map(([id, c, hosts]) => ({ id, hosts, cert: c.cert, key: c.key }));
  return new RouteTable({
    routes: [], backends: [], diagnostics: [], ingresses: [], certificates,
    defaultCertificate: dflt ? { id: 'default/d', hosts: [], cert: dflt.cert, key: dflt.key } : undefined,
  });
}

describe('tls - certificate store', () => {
  it('prefers an exact TLS host over a wildcard, and falls back to the default', () => {
    const store = new CertificateStore(startup);
    store.update(table([['ns/wild', wild, ['*.foo.test']], ['ns/exact', exact, ['a.foo.test']]]));
    const fallback = store.contextFor('nothing.test');
    const exactCtx = store.contextFor('a.foo.test');
    const wildCtx = store.contextFor('b.foo.test');
    assert.notEqual(exactCtx, wildCtx);
    assert.notEqual(wildCtx, fallback);
    assert.equal(store.contextFor('A.FOO.TEST.'), exactCtx, 'SNI is matched case-insensitively, trailing dot ignored');
    assert.equal(store.contextFor('x.b.foo.test'), fallback, 'a wildcard covers one label');
    assert.equal(store.contextFor(undefined), fallback);
    assert.equal(store.defaultPem, startup);
  });

  it('reuses compiled contexts for unchanged Secrets across swaps and recompiles changed ones', () => {
    const store = new CertificateStore(startup);
    store.update(table([['ns/exact', exact, ['a.foo.test']], ['ns/wild', wild, ['*.foo.test']]]));
    const before = store.contextFor('a.foo.test');
    const wildBefore = store.contextFor('b.foo.test');
    store.update(table([['ns/exact', exact, ['a.foo.test']], ['ns/wild', wild, ['*.foo.test']]]));
    assert.equal(store.contextFor('a.foo.test'), before);
    store.update(table([['ns/exact', other, ['a.foo.test']], ['ns/wild', wild, ['*.foo.test']]]));
    assert.notEqual(store.contextFor('a.foo.test'), before);
    assert.equal(store.contextFor('b.foo.test'), wildBefore);
  });

  it('switches the default between RAUTA_DEFAULT_CERTIFICATE and the start-up certificate', () => {
    const store = new CertificateStore(startup);
    const startupCtx = store.contextFor('x.test');
    store.update(table([], exact));
    assert.equal(store.defaultPem.cert, exact.cert);
    assert.notEqual(store.contextFor('x.test'), startupCtx);
    store.update(table([]));
    assert.equal(store.contextFor('x.test'), startupCtx);
    assert.equal(store.defaultPem, startup);
  });
});
