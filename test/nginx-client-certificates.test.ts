import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireTool } from '../scripts/system-tools.ts';
import { type TestBackend, startBackend } from './support/backends.ts';
import { makeCert, tlsSecret } from './support/certs.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

const N = 'nginx.ingress.kubernetes.io/';

interface Pki { ca: string; crl: string; alice: { cert: string; key: string }; revoked: { cert: string; key: string }; mallory: { cert: string; key: string }; deep: { cert: string; key: string } }

/** A CA, a client it signed (CN=alice,O=acme), a self-signed stranger, and a client behind an intermediate. */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'rauta-mtls-'));
  const openssl = requireTool('openssl');
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n');
    run('req', '-x509', ...ec, '-days', '2', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test-ca');
    run('req', ...ec, '-keyout', 'alice.key', '-out', 'alice.csr', '-subj', '/O=acme/CN=alice');
    run('x509', '-req', '-in', 'alice.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'alice.crt', '-days', '2');
    run('req', '-x509', ...ec, '-days', '2', '-keyout', 'mallory.key', '-out', 'mallory.crt', '-subj', '/CN=alice');
    run('req', ...ec, '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=test-intermediate');
    run('x509', '-req', '-in', 'int.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'int.crt', '-days', '2', '-extfile', 'ca.ext');
    run('req', ...ec, '-keyout', 'deep.key', '-out', 'deep.csr', '-subj', '/CN=deep');
    run('x509', '-req', '-in', 'deep.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'deep.crt', '-days', '2');
    run('req', ...ec, '-keyout', 'revoked.key', '-out', 'revoked.csr', '-subj', '/CN=eve');
    run('x509', '-req', '-in', 'revoked.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'revoked.crt', '-days', '2');
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'crlnumber'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n');
    run('ca', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-revoke', 'revoked.crt');
    run('ca', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-gencrl', '-out', 'ca.crl');
    const r = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      ca: r('ca.crt'),
      crl: r('ca.crl'),
      revoked: { cert: r('revoked.crt'), key: r('revoked.key') },
      alice: { cert: r('alice.crt'), key: r('alice.key') },
      mallory: { cert: r('mallory.crt'), key: r('mallory.key') },
      deep: { cert: r('deep.crt') + r('int.crt'), key: r('deep.key') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined> }

describe('nginx annotations - auth-tls client certificates', () => {
  let pki: Pki;
  let app: TestBackend;
  let pipeline: RecordingPipeline;
  const hosts = ['crl.test', 'crl-bad.test', 'on.test', 'optional.test', 'noca.test', 'page.test', 'deep1.test', 'deep2.test', 'cn.test', 'cn-bad.test', 'open.test',
    'missing-ca.test', 'garbage-ca.test', 'bad-values.test', 'bad-regex.test'];

  before(async () => {
    pki = makePki();
    app = await startBackend('127.0.0.3', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ verify: req.headers['ssl-client-verify'], subject: req.headers['ssl-client-subject-dn'], issuer: req.headers['ssl-client-issuer-dn'], cert: req.headers['ssl-client-cert'] }));
    });
    const server = makeCert(hosts);
    const caSecret = (name: string, pem: string, crl?: string): Obj => ({
      apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, type: 'Opaque',
      data: { 'ca.crt': Buffer.from(pem).toString('base64'), ...(crl === undefined ? {} : { 'ca.crl': Buffer.from(crl).toString('base64') }) },
    });
    const site = (host: string, annotations: Record<string, string>, name = host.replaceAll('.', '-'), path = '/') => ingress(name, {
      rules: [{ host, paths: [{ path, service: 'app' }] }], tls: [{ hosts: [host], secretName: 'server' }],
      annotations: { [`${N}ssl-redirect`]: 'false', ...annotations },
    });
    const ca = { [`${N}auth-tls-secret`]: 'default/client-ca' };
    pipeline = await startRecordingPipeline([
      ingressClass(), service('app'), endpointSlice('app', app.port, [{ ip: app.ip }]), tlsSecret('server', server),
      caSecret('client-ca', pki.ca), caSecret('garbage', '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n'),
      caSecret('with-crl', pki.ca, pki.crl), caSecret('bad-crl', pki.ca, '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'),
      site('crl.test', { [`${N}auth-tls-secret`]: 'default/with-crl' }),
      site('crl-bad.test', { [`${N}auth-tls-secret`]: 'default/bad-crl' }),
      site('on.test', ca),
      // Another Ingress of the same host, without the annotation: the host's setting covers it too.
      site('on.test', {}, 'on-test-other', '/other'),
      site('optional.test', { ...ca, [`${N}auth-tls-verify-client`]: 'optional' }),
      site('noca.test', { ...ca, [`${N}auth-tls-verify-client`]: 'optional_no_ca', [`${N}auth-tls-pass-certificate-to-upstream`]: 'true' }),
      site('page.test', { ...ca, [`${N}auth-tls-error-page`]: 'https://login.test/cert?from=$request_uri' }),
      site('deep1.test', ca),
      site('deep2.test', { ...ca, [`${N}auth-tls-verify-depth`]: '2' }),
      site('cn.test', { ...ca, [`${N}auth-tls-match-cn`]: 'CN=alice' }),
      site('cn-bad.test', { ...ca, [`${N}auth-tls-match-cn`]: 'CN=bob$' }),
      site('open.test', {}),
      site('missing-ca.test', { [`${N}auth-tls-secret`]: 'default/nope' }),
      site('garbage-ca.test', { [`${N}auth-tls-secret`]: 'default/garbage' }),
      site('bad-values.test', { ...ca, [`${N}auth-tls-verify-client`]: 'maybe', [`${N}auth-tls-verify-depth`]: '1\r\n2', [`${N}auth-tls-error-page`]: 'https://x.test/\r\nSet-Cookie: a=1' }),
      site('bad-regex.test', { ...ca, [`${N}auth-tls-match-cn`]: '(?=CN)alice' }),
    ]);
  });
  after(async () => {
    await pipeline.stop();
    await app.close();
  });

  const call = (host: string, path = '/', client?: { cert: string; key: string }, opts: { servername?: string; headers?: Record<string, string> } = {}) => new Promise<Answer>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: pipeline.httpsPort, path, agent: false, rejectUnauthorized: false, servername: opts.servername ?? host,
      headers: { host, ...opts.headers }, ...(client ?? {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
  const seen = (a: Answer) => JSON.parse(a.body) as { verify?: string; subject?: string; issuer?: string; cert?: string };
  const diag = (host: string) => pipeline.routes.table.diagnostics.filter((d) => d.ingress === host.replaceAll('.', '-'));

  it('on: 400 without a certificate or with one the CA did not sign; a valid one reaches the backend with its DN', async () => {
    const none = await call('on.test');
    assert.equal(none.status, 400);
    assert.match(none.body, /no required SSL certificate was sent \(RAUTA_ERR_CLIENT_CERTIFICATE/);
    const stranger = await call('on.test', '/', pki.mallory);
    assert.equal(stranger.status, 400);
    assert.match(stranger.body, /the SSL certificate error/);
    const ok = await call('on.test', '/', pki.alice, { headers: { 'ssl-client-subject-dn': 'CN=admin' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(seen(ok), { verify: 'SUCCESS', subject: 'CN=alice,O=acme', issuer: 'CN=test-ca' });
    // The host's other Ingress is covered by the same setting.
    assert.equal((await call('on.test', '/other')).status, 400);
    assert.equal((await call('on.test', '/other', pki.alice)).status, 200);
  });

  it('a client cannot claim a verification it did not make: spoofed headers are replaced, Host ≠ SNI gets 421', async () => {
    const spoof = await call('optional.test', '/', undefined, { headers: { 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=admin' } });
    assert.equal(spoof.status, 200);
    assert.deepEqual(seen(spoof), { verify: 'NONE' });
    // The handshake was for open.test (no certificate asked), the request is for on.test.
    const misdirected = await call('on.test', '/', pki.alice, { servername: 'open.test' });
    assert.equal(misdirected.status, 421);
    assert.match(misdirected.body, /RAUTA_ERR_CLIENT_CERTIFICATE/);
    // A host without auth-tls serves a client with or without a certificate.
    assert.equal((await call('open.test', '/', pki.alice)).status, 200);
    assert.equal((await call('open.test')).status, 200);
  });

  it('a CRL in the Secret (ca.crl) revokes certificates; one that does not load closes the routes', async () => {
    assert.equal((await call('on.test', '/', pki.revoked)).status, 200);
    assert.equal((await call('crl.test', '/', pki.alice)).status, 200);
    const revoked = await call('crl.test', '/', pki.revoked);
    assert.equal(revoked.status, 400);
    assert.match(revoked.body, /CERT_REVOKED/);
    assert.equal((await call('crl-bad.test', '/', pki.alice)).status, 503);
    assert.ok(diag('crl-bad.test').some((d) => d.reason === 'PolicyFailClosed' && /ca\.crl/.test(d.message)));
  });

  it('optional verifies a certificate when sent; optional_no_ca passes any, with the certificate when asked', async () => {
    assert.equal((await call('optional.test', '/', pki.mallory)).status, 400);
    assert.equal(seen(await call('optional.test', '/', pki.alice)).verify, 'SUCCESS');
    const any = await call('noca.test', '/', pki.mallory);
    assert.equal(any.status, 200);
    const s = seen(any);
    assert.match(s.verify ?? '', /^FAILED:/);
    assert.equal(s.subject, 'CN=alice');
    assert.equal(decodeURIComponent(s.cert ?? ''), pki.mallory.cert);
  });

  it('error page, verify depth and match-cn', async () => {
    const page = await call('page.test', '/x?y=1');
    assert.equal(page.status, 302);
    assert.equal(page.headers.location, 'https://login.test/cert?from=/x?y=1');
    assert.equal((await call('deep1.test', '/', pki.deep)).status, 400);
    const deep = await call('deep2.test', '/', pki.deep);
    assert.equal(deep.status, 200);
    assert.equal(seen(deep).issuer, 'CN=test-intermediate');
    assert.equal((await call('cn.test', '/', pki.alice)).status, 200);
    const cnBad = await call('cn-bad.test', '/', pki.alice);
    assert.equal(cnBad.status, 403);
    assert.match(cnBad.body, /RAUTA_ERR_FORBIDDEN/);
  });

  it('HTTP/2 requests are checked the same way', async () => {
    const h2 = (client?: { cert: string; key: string }) => new Promise<number>((resolve, reject) => {
      const session = h2connect(`https://127.0.0.1:${pipeline.httpsPort}`, { servername: 'on.test', rejectUnauthorized: false, ...(client ?? {}) });
      session.on('error', reject);
      const stream = session.request({ ':path': '/', ':authority': 'on.test' });
      stream.on('response', (h) => { resolve(Number(h[':status'])); stream.resume(); stream.on('end', () => session.close()); });
      stream.on('error', reject);
      stream.end();
    });
    assert.equal(await h2(), 400);
    assert.equal(await h2(pki.alice), 200);
  });

  it('hostile values: an unreadable CA or regex closes the routes; bad values fall back to the strict defaults', async () => {
    for (const host of ['missing-ca.test', 'garbage-ca.test', 'bad-regex.test']) {
      const r = await call(host, '/', pki.alice);
      assert.equal(r.status, 503, host);
      assert.match(r.body, /RAUTA_ERR_POLICY_UNAVAILABLE/, host);
      assert.ok(diag(host).some((d) => d.reason === 'PolicyFailClosed'), host);
    }
    const d = diag('bad-values.test');
    for (const name of ['auth-tls-verify-client', 'auth-tls-verify-depth', 'auth-tls-error-page']) {
      assert.ok(d.some((x) => x.reason === 'InvalidAnnotation' && x.message.includes(name)), name);
    }
    const r = await call('bad-values.test');
    assert.equal(r.status, 400);
    assert.equal(r.headers['set-cookie'], undefined);
    assert.equal((await call('bad-values.test', '/', pki.alice)).status, 200);
  });
});
