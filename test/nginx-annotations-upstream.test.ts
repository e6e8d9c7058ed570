import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type Http2SecureServer, createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { refusedPort } from './support/backends.ts';
import { makeCert } from './support/certs.ts';
import { get } from './support/client.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

const N = 'nginx.ingress.kubernetes.io/';

async function listen(server: Server, ip: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  return (server.address() as AddressInfo).port;
}
function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

/**
 * ingress-nginx annotations about the backend side, over real sockets: HTTPS to the pod with
 * certificate checks, forward auth against a real auth service, cookie affinity, timeouts, limits,
 * retries.
 */
describe('nginx annotations - upstream, auth service and affinity over real sockets', () => {
  const cert = makeCert(['pod.internal']);
  let h2Pod: Http2SecureServer;
  let h2Port = 0;
  let tlsPod: Server;
  let tlsPort = 0;
  let auth: Server;
  let authPort = 0;
  const authSeen: IncomingMessage[] = [];
  let podA: Server;
  let podB: Server;
  let portA = 0;
  let portB = 0;
  let pages: Server;
  let pagesPort = 0;
  const pagesSeen: IncomingMessage[] = [];
  let slow: Server;
  let slowPort = 0;
  let pipeline: RecordingPipeline;

  const route = (name: string, host: string, svc: string, annotations: Record<string, string>): Obj =>
    ingress(name, { rules: [{ host, paths: [{ path: '/', service: svc }] }], annotations });

  before(async () => {
    tlsPod = createHttpsServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      res.writeHead(200, { 'x-tls': 'yes' });
      res.end(`tls ${req.url} ${req.headers.host}`);
    });
    tlsPort = await listen(tlsPod, '127.0.0.4');
    h2Pod = createSecureServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      res.writeHead(200, { 'x-h2': req.httpVersion });
      res.end(`h2 ${req.url}`);
    });
    await new Promise<void>((r) => h2Pod.listen(0, '127.0.0.11', r));
    h2Port = (h2Pod.address() as AddressInfo).port;
    auth = createServer((req: IncomingMessage, res: ServerResponse) => {
      authSeen.push(req);
      const token = req.headers.authorization;
      if (token === 'Bearer good') { res.writeHead(200, { 'x-auth-user': 'alice', 'x-other': 'no', 'set-cookie': '_session=refreshed; Path=/; HttpOnly' }); res.end('ok'); return; }
      if (token === 'Bearer forbidden') { res.writeHead(403); res.end(); return; }
      if (token === 'Bearer broken') { res.writeHead(502); res.end(); return; }
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="shop"' });
      res.end();
    });
    authPort = await listen(auth, '127.0.0.5');
    const pod = (name: string) => createServer((req, res) => {
      if (req.url === '/missing') { res.writeHead(404, { 'content-type': 'text/plain', 'x-pod': name }); res.end('backend says no'); return; }
      res.writeHead(200, { 'x-pod': name, 'x-user': String(req.headers['x-auth-user'] ?? ''), 'x-other': String(req.headers['x-other'] ?? '') });
      res.end(name);
    });
    podA = pod('a');
    podB = pod('b');
    portA = await listen(podA, '127.0.0.6');
    portB = await listen(podB, '127.0.0.7');
    pages = createServer((req, res) => {
      pagesSeen.push(req);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<h1>error ${req.headers['x-code']}</h1>`);
    });
    pagesPort = await listen(pages, '127.0.0.10');
    slow = createServer((_req, res) => { setTimeout(() => { res.writeHead(200); res.end('late'); }, 3000).unref(); });
    slowPort = await listen(slow, '127.0.0.8');
    const dead = await refusedPort('127.0.0.9');
    const caSecret: Obj = {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pod-ca', namespace: 'default' }, type: 'Opaque',
      data: { 'ca.crt': Buffer.from(cert.cert).toString('base64') },
    };
    pipeline = await startRecordingPipeline([
      ingressClass(),
      caSecret,
      service('tls'),
      endpointSlice('tls', tlsPort, [{ ip: '127.0.0.4' }]),
      route('tls-noverify', 'tls.test', 'tls', { [`${N}backend-protocol`]: 'HTTPS' }),
      route('tls-verify', 'tls-verify.test', 'tls', { [`${N}backend-protocol`]: 'HTTPS', [`${N}proxy-ssl-verify`]: 'on', [`${N}proxy-ssl-secret`]: 'default/pod-ca', [`${N}proxy-ssl-name`]: 'pod.internal', [`${N}proxy-ssl-server-name`]: 'on' }),
      route('tls-wrong-name', 'tls-wrong.test', 'tls', { [`${N}backend-protocol`]: 'HTTPS', [`${N}proxy-ssl-verify`]: 'on', [`${N}proxy-ssl-secret`]: 'default/pod-ca', [`${N}proxy-ssl-name`]: 'other.internal' }),
      route('tls-no-ca', 'tls-noca.test', 'tls', { [`${N}backend-protocol`]: 'HTTPS', [`${N}proxy-ssl-verify`]: 'on' }),
      service('h2'),
      endpointSlice('h2', h2Port, [{ ip: '127.0.0.11' }]),
      route('grpcs', 'grpcs.test', 'h2', { [`${N}backend-protocol`]: 'GRPCS', [`${N}proxy-ssl-verify`]: 'on', [`${N}proxy-ssl-secret`]: 'default/pod-ca', [`${N}proxy-ssl-name`]: 'pod.internal' }),
      service('pods'),
      endpointSlice('pods', portA, [{ ip: '127.0.0.6', pod: 'a' }], { name: 'pods-a' }),
      endpointSlice('pods', portB, [{ ip: '127.0.0.7', pod: 'b' }], { name: 'pods-b' }),
      route('fauth', 'auth.test', 'pods', { [`${N}auth-url`]: `http://127.0.0.5:${authPort}/check?uri=$escaped_request_uri`, [`${N}auth-response-headers`]: 'X-Auth-User' }),
      route('fauth-signin', 'signin.test', 'pods', { [`${N}auth-url`]: `http://127.0.0.5:${authPort}/check`, [`${N}auth-signin`]: 'https://login.test/start' }),
      route('fauth-down', 'authdown.test', 'pods', { [`${N}auth-url`]: `http://127.0.0.9:${dead}/check` }),
      route('sticky', 'sticky.test', 'pods', { [`${N}affinity`]: 'cookie', [`${N}session-cookie-name`]: 'pin', [`${N}session-cookie-max-age`]: '60' }),
      route('conns', 'conns.test', 'slow', { [`${N}limit-connections`]: '1', [`${N}proxy-read-timeout`]: '10' }),
      service('slow'),
      endpointSlice('slow', slowPort, [{ ip: '127.0.0.8' }]),
      route('timeout', 'timeout.test', 'slow', { [`${N}proxy-read-timeout`]: '1' }),
      service('stable'),
      endpointSlice('stable', portA, [{ ip: '127.0.0.6', pod: 'a' }]),
      service('next'),
      endpointSlice('next', portB, [{ ip: '127.0.0.7', pod: 'b' }]),
      route('main', 'canary.test', 'stable', {}),
      route('main-canary', 'canary.test', 'next', { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-by-cookie`]: 'beta', [`${N}canary-weight`]: '30' }),
      route('main-h', 'canary-h.test', 'stable', {}),
      route('main-h-canary', 'canary-h.test', 'next', { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Tier', [`${N}canary-by-header-pattern`]: 'gold|platinum' }),
      route('orphan-canary', 'orphan.test', 'next', { [`${N}canary`]: 'true', [`${N}canary-weight`]: '100' }),
      service('errors'),
      endpointSlice('errors', pagesPort, [{ ip: '127.0.0.10' }]),
      service('empty'),
      route('pages', 'pages.test', 'slow', { [`${N}custom-http-errors`]: '404,503', [`${N}default-backend`]: 'errors', [`${N}proxy-read-timeout`]: '1' }),
      route('pages-404', 'pages404.test', 'pods', { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'errors' }),
      route('pages-empty', 'pagesempty.test', 'empty', { [`${N}default-backend`]: 'errors' }),
      route('pages-off', 'pagesoff.test', 'pods', { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'errors', [`${N}disable-proxy-intercept-errors`]: 'true' }),
      service('dead'),
      endpointSlice('dead', dead, [{ ip: '127.0.0.9' }]),
      route('no-retry', 'noretry.test', 'dead', { [`${N}proxy-next-upstream`]: 'off' }),
    ]);
  });
  after(async () => {
    await pipeline.stop();
    await new Promise<void>((r) => h2Pod.close(() => r()));
    await Promise.all([close(tlsPod), close(auth), close(podA), close(podB), close(slow), close(pages)]);
  });
  const req = (host: string, path = '/', headers: Record<string, string> = {}) => get(pipeline.httpPort, path, { host, ...headers });

  it('backend-protocol HTTPS: TLS to the pod; with proxy-ssl-verify the certificate must chain to ca.crt and match proxy-ssl-name', async () => {
    const plain = await req('tls.test', '/x');
    assert.equal(plain.status, 200);
    assert.equal(plain.body, 'tls /x tls.test');
    const verified = await req('tls-verify.test', '/y');
    assert.equal(verified.status, 200);
    assert.equal(verified.headers['x-tls'], 'yes');
    const wrong = await req('tls-wrong.test');
    assert.equal(wrong.status, 502);
    assert.match(wrong.body, /RAUTA_ERR_UPSTREAM/);
    const noCa = await req('tls-noca.test');
    assert.equal(noCa.status, 503);
    assert.match(noCa.body, /RAUTA_ERR_POLICY_UNAVAILABLE/);
  });

  it('backend-protocol GRPCS: HTTP/2 over TLS to the pod, certificate verified', async () => {
    const r = await req('grpcs.test', '/svc.Method');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-h2'], '2.0');
    assert.equal(r.body, 'h2 /svc.Method');
  });

  it('auth-url: 2xx proceeds with auth-response-headers copied; 401/403 back to the client; other answers 500; the subrequest carries X-Original-URL', async () => {
    const ok = await req('auth.test', '/cart?id=1', { authorization: 'Bearer good' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-user'], 'alice');
    assert.equal(ok.headers['x-other'], '', 'only the listed headers are copied');
    assert.deepEqual(ok.headers['set-cookie'], ['_session=refreshed; Path=/; HttpOnly']);
    const seen = authSeen.at(-1);
    assert.equal(seen?.url, `/check?uri=${encodeURIComponent('/cart?id=1')}`);
    assert.equal(seen?.headers['x-original-url'], 'http://auth.test/cart?id=1');
    assert.equal(seen?.headers['x-original-method'], 'GET');
    assert.equal(seen?.headers['content-length'], undefined);
    const denied = await req('auth.test', '/', {});
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['www-authenticate'], 'Bearer realm="shop"');
    assert.equal((await req('auth.test', '/', { authorization: 'Bearer forbidden' })).status, 403);
    const broken = await req('auth.test', '/', { authorization: 'Bearer broken' });
    assert.equal(broken.status, 500);
    assert.match(broken.body, /RAUTA_ERR_AUTH_SERVICE/);
    assert.equal((await req('authdown.test')).status, 500);
    // A client cannot smuggle its own X-Original-URL to the auth service.
    await req('auth.test', '/real', { authorization: 'Bearer good', 'x-original-url': 'http://auth.test/admin' });
    assert.equal(authSeen.at(-1)?.headers['x-original-url'], 'http://auth.test/real');
    // Header names that are Object.prototype members are copied as the client sent them.
    await req('auth.test', '/', { authorization: 'Bearer good', constructor: 'x', tostring: 'y' });
    assert.equal(authSeen.at(-1)?.headers.constructor, 'x');
    assert.equal(authSeen.at(-1)?.headers.tostring, 'y');
  });

  it('auth-signin: a 401 becomes a 302 to the sign-in page with rd=<original URL>', async () => {
    const r = await req('signin.test', '/deep?x=1');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `https://login.test/start?rd=${encodeURIComponent('http://signin.test/deep?x=1')}`);
  });

  it('affinity cookie: a client with the cookie stays on its pod; a new client gets a cookie that names a pod opaquely', async () => {
    const first = await req('sticky.test');
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^pin=[0-9a-f]{16}; Path=\/; HttpOnly; Max-Age=60$/);
    assert.ok(!setCookie.includes('127.0.0'), 'the cookie never tells the pod address');
    const cookie = setCookie.split(';')[0];
    const pod = first.headers['x-pod'];
    for (let i = 0; i < 6; i++) {
      const r = await req('sticky.test', '/', { cookie });
      assert.equal(r.headers['x-pod'], pod);
      assert.equal(r.headers['set-cookie'], undefined);
    }
    const stranger = await req('sticky.test', '/', { cookie: 'pin=0000000000000000' });
    assert.ok(stranger.headers['set-cookie'] !== undefined, 'an unknown pod in the cookie gets a new cookie');
  });

  it('proxy-read-timeout: a backend silent for longer answers 504', async () => {
    const r = await req('timeout.test');
    assert.equal(r.status, 504);
    assert.match(r.body, /RAUTA_ERR_UPSTREAM_TIMEOUT/);
  });

  it('limit-connections: a second concurrent request from the same address gets 503', async () => {
    const first = req('conns.test');
    await new Promise((r) => setTimeout(r, 300));
    const second = await req('conns.test');
    assert.equal(second.status, 503);
    assert.match(second.body, /RAUTA_ERR_RATE_LIMITED/);
    assert.equal((await first).status, 200);
  });

  it('canary: header always/never, cookie, weight split; pattern match; a canary without a main Ingress serves nothing', async () => {
    assert.equal((await req('canary.test', '/', { 'x-canary': 'always' })).headers['x-pod'], 'b');
    for (let i = 0; i < 10; i++) assert.equal((await req('canary.test', '/', { 'x-canary': 'never' })).headers['x-pod'], 'a');
    assert.equal((await req('canary.test', '/', { cookie: 'x=1; beta=always' })).headers['x-pod'], 'b');
    for (let i = 0; i < 10; i++) assert.equal((await req('canary.test', '/', { cookie: 'beta=never; y=2' })).headers['x-pod'], 'a');
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) counts[(await req('canary.test')).headers['x-pod'] as 'a' | 'b']++;
    // 30 % by weight: bounds wide enough never to fail by chance (p < 1e-6).
    assert.ok(counts.b > 25 && counts.b < 100, JSON.stringify(counts));
    assert.equal((await req('canary-h.test', '/', { 'x-tier': 'gold' })).headers['x-pod'], 'b');
    for (let i = 0; i < 5; i++) assert.equal((await req('canary-h.test', '/', { 'x-tier': 'bronze' })).headers['x-pod'], 'a');
    assert.equal((await req('orphan.test')).status, 404);
    assert.ok(pipeline.routes.table.diagnostics.some((d) => d.reason === 'CanaryWithoutMain' && d.ingress === 'orphan-canary'));
  });

  it('custom-http-errors + default-backend: intercepted statuses get the error backend\'s page with the original status; no endpoints → its 503 page', async () => {
    const empty = await req('pagesempty.test', '/x?y=1', { accept: 'text/html' });
    assert.equal(empty.status, 503);
    assert.equal(empty.body, '<h1>error 503</h1>');
    const seen = pagesSeen.at(-1);
    assert.equal(seen?.headers['x-original-uri'], '/x?y=1');
    assert.equal(seen?.headers['x-namespace'], 'default');
    assert.equal(seen?.headers['x-ingress-name'], 'pages-empty');
    assert.equal(seen?.headers['x-service-name'], 'empty');
    assert.equal(seen?.headers['x-format'], 'text/html');
    const intercepted = await req('pages404.test', '/missing');
    assert.equal(intercepted.status, 404);
    assert.equal(intercepted.body, '<h1>error 404</h1>');
    assert.equal(intercepted.headers['x-pod'], undefined, 'the backend\'s own answer is not relayed');
    assert.equal((await req('pages404.test', '/fine')).status, 200);
    // disable-proxy-intercept-errors: the pod's own 404 reaches the client.
    const relayed = await req('pagesoff.test', '/missing');
    assert.equal(relayed.status, 404);
    assert.notEqual(relayed.headers['x-pod'], undefined);
    assert.notEqual(relayed.body, '<h1>error 404</h1>');
    // A status not in the list is relayed as the backend sent it (here a 504 from RAUTA itself).
    assert.equal((await req('pages.test')).status, 504);
  });

  it('proxy-next-upstream off: one attempt only', async () => {
    const before = pipeline.finished.length;
    const r = await req('noretry.test');
    assert.equal(r.status, 502);
    const rec = pipeline.finished.slice(before).find((x) => x.host === 'noretry.test');
    assert.equal(rec?.attempts, 1);
  });
});
