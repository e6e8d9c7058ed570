import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { type TestBackend, rawHeaders, rawRequest, rawStatus, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

const N = 'nginx.ingress.kubernetes.io/';

/**
 * ingress-nginx annotations end to end: manifests → translation → the proxy, over real sockets, with
 * hostile values next to the good ones. Each Ingress gets its own host so the cases stay independent.
 */
describe('nginx annotations - behaviour over real sockets', () => {
  let backend: TestBackend;
  let pipeline: RecordingPipeline;
  const objects: Obj[] = [];
  const site = (host: string, annotations: Record<string, string>, path = '/', pathType = 'Prefix') => {
    objects.push(ingress(host.replaceAll('.', '-'), { rules: [{ host, paths: [{ path, pathType, service: 'web' }] }], annotations }));
  };
  const basicSecret = (name: string, auth: string): Obj => ({
    apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, type: 'Opaque',
    data: { auth: Buffer.from(auth).toString('base64') },
  });

  before(async () => {
    backend = await startBackend('127.0.0.3', (req, res, body) => {
      if (req.url === '/redir') {
        res.writeHead(302, [
          'Location', 'http://internal.svc:8080/next',
          'Set-Cookie', 's=1; Domain=Internal.svc; Path=/app/x; HttpOnly',
          'Set-Cookie', 'other=2; Domain=elsewhere.test; Path=/z',
          'Content-Length', '0',
        ]);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream-host': req.headers.host ?? '', 'x-prefix': String(req.headers['x-forwarded-prefix'] ?? '') });
      res.end(`${req.url} ${body.length}`);
    });
    const sha = `{SHA}${createHash('sha1').update('s3cret').digest('base64')}`;
    const bc = bcrypt.hashSync('hunter2', 4);
    site('body.test', { [`${N}proxy-body-size`]: '1k' });
    site('body-bad.test', { [`${N}proxy-body-size`]: '1k\r\nX-Evil: 1' });
    site('allow.test', { [`${N}allowlist-source-range`]: '10.0.0.0/8, 192.168.0.0/16' });
    site('allow-me.test', { [`${N}whitelist-source-range`]: '127.0.0.1/32' });
    site('allow-bad.test', { [`${N}allowlist-source-range`]: '127.0.0.1/33' });
    site('deny.test', { [`${N}denylist-source-range`]: '127.0.0.0/8' });
    site('force.test', { [`${N}force-ssl-redirect`]: 'true' });
    site('rewrite.test', { [`${N}rewrite-target`]: '/$2', [`${N}use-regex`]: 'true', [`${N}x-forwarded-prefix`]: '/shop' }, '/shop(/|$)(.*)', 'ImplementationSpecific');
    site('rewrite-evil.test', { [`${N}rewrite-target`]: '/$2$http_cookie' }, '/a(/|$)(.*)', 'ImplementationSpecific');
    site('redos.test', { [`${N}use-regex`]: 'true' }, '/(a+)+$', 'ImplementationSpecific');
    site('lookaround.test', { [`${N}use-regex`]: 'true' }, '/(?=x)y', 'ImplementationSpecific');
    site('approot.test', { [`${N}app-root`]: '/app1' });
    site('moved.test', { [`${N}permanent-redirect`]: 'https://new.test$request_uri', [`${N}permanent-redirect-code`]: '308' });
    site('moved-crlf.test', { [`${N}permanent-redirect`]: 'https://new.test/\r\nSet-Cookie: a=1' });
    site('temp.test', { [`${N}temporal-redirect`]: 'https://tmp.test/' });
    site('example.test', { [`${N}from-to-www-redirect`]: 'true' });
    site('basic.test', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'htpasswd', [`${N}auth-realm`]: 'Staff only' });
    site('satisfy-ip.test', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'htpasswd', [`${N}allowlist-source-range`]: '127.0.0.1/32', [`${N}satisfy`]: 'any' });
    site('satisfy-auth.test', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'htpasswd', [`${N}allowlist-source-range`]: '10.0.0.0/8', [`${N}satisfy`]: 'any' });
    site('basic-missing.test', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'nope' });
    site('digest.test', { [`${N}auth-type`]: 'digest', [`${N}auth-secret`]: 'htpasswd' });
    site('vhost.test', { [`${N}upstream-vhost`]: 'internal.example' });
    site('vhost-evil.test', { [`${N}upstream-vhost`]: 'a.test\r\nx: y' });
    site('cors.test', { [`${N}enable-cors`]: 'true', [`${N}cors-allow-origin`]: 'https://*.app.test, https://exact.test:8443', [`${N}cors-allow-credentials`]: 'true' });
    site('snippet.test', { [`${N}configuration-snippet`]: 'more_set_headers "X-Frame-Options: DENY";\nproxy_set_header X-Team blue;' });
    site('snippet-evil.test', { [`${N}configuration-snippet`]: 'more_set_headers "X-A: $http_cookie";' });
    site('snippet-lua.test', { [`${N}server-snippet`]: 'location /x { content_by_lua_block { ngx.say(1) } }' });
    site('rps.test', { [`${N}limit-rps`]: '1', [`${N}limit-burst-multiplier`]: '2' });
    site('backhdr.test', { [`${N}proxy-redirect-from`]: 'http://internal.svc:8080/', [`${N}proxy-redirect-to`]: 'https://public.test/', [`${N}proxy-cookie-domain`]: 'internal.svc public.test', [`${N}proxy-cookie-path`]: '/app/ /' });
    site('backhdr-evil.test', { [`${N}proxy-redirect-from`]: 'http://internal.svc:8080/', [`${N}proxy-redirect-to`]: 'https://$host/' });
    site('alias.test', { [`${N}server-alias`]: 'alias2.test, *.alias3.test, bad_alias' });
    site('typo.test', { [`${N}proxy-body-sise`]: '1k' });
    site('auth-url-host.test', { [`${N}auth-url`]: 'http://$host/auth' });
    site('auth-url-var.test', { [`${N}auth-url`]: 'http://127.0.0.9/auth?u=$http_authorization' });
    objects.push(basicSecret('htpasswd', `alice:${sha}\nbob:${bc}\n`));
    pipeline = await startRecordingPipeline([ingressClass(), ...objects, service('web'), endpointSlice('web', backend.port, [{ ip: backend.ip }])]);
  });
  after(async () => {
    await pipeline.stop();
    await backend.close();
  });
  const req = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: Buffer) => get(pipeline.httpPort, path, { host, ...headers }, method, body);
  const diag = (ingressName: string) => pipeline.routes.table.diagnostics.filter((d) => d.ingress === ingressName);

  it('proxy-body-size: 413 past the limit; a CRLF value is rejected and the default kept', async () => {
    assert.equal((await req('body.test', '/', {}, 'POST', Buffer.alloc(1024))).status, 200);
    const r = await req('body.test', '/', {}, 'POST', Buffer.alloc(1025));
    assert.equal(r.status, 413);
    assert.match(r.body, /RAUTA_ERR_BODY_TOO_LARGE/);
    assert.equal((await req('body-bad.test', '/', {}, 'POST', Buffer.alloc(5000))).status, 200);
    assert.ok(diag('body-bad-test').some((d) => d.reason === 'InvalidAnnotation' && /proxy-body-size/.test(d.message)));
  });

  it('source ranges: allow list without the client → 403, with it → 200; a bad CIDR fails closed (503); deny → 403', async () => {
    assert.equal((await req('allow.test')).status, 403);
    assert.equal((await req('allow-me.test')).status, 200);
    const bad = await req('allow-bad.test');
    assert.equal(bad.status, 503);
    assert.match(bad.body, /RAUTA_ERR_POLICY_UNAVAILABLE/);
    assert.ok(diag('allow-bad-test').some((d) => d.reason === 'PolicyFailClosed' && d.severity === 'error'));
    assert.equal((await req('deny.test')).status, 403);
  });

  it('force-ssl-redirect: 308 to https, none when X-Forwarded-Proto says https', async () => {
    const r = await req('force.test', '/a?b=1');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://force.test/a?b=1');
    assert.equal((await req('force.test', '/a', { 'x-forwarded-proto': 'https' })).status, 200);
  });

  it('rewrite-target with use-regex captures, x-forwarded-prefix; hostile regexes and variables are refused', async () => {
    const r = await req('rewrite.test', '/shop/cart/items?x=1');
    assert.equal(r.status, 200);
    assert.equal(r.body, '/cart/items?x=1 0');
    assert.equal(r.headers['x-prefix'], '/shop');
    assert.equal((await req('rewrite.test', '/shop')).body, '/ 0');
    // $http_cookie is not an allowed variable: the rewrite is dropped (warning), never spliced; the path
    // is then a literal one, which /a/b does not match.
    assert.equal((await req('rewrite-evil.test', '/a/b')).status, 404);
    assert.ok(diag('rewrite-evil-test').some((d) => /\$http_cookie is not an allowed variable/.test(d.message)));
    // (a+)+$ runs on RE2 in linear time: a long non-matching path answers quickly.
    const started = Date.now();
    const redos = await req('redos.test', `/${'a'.repeat(5000)}!`);
    assert.equal(redos.status, 404);
    assert.ok(Date.now() - started < 5000);
    assert.equal((await req('redos.test', '/aaa')).status, 200);
    assert.ok(diag('lookaround-test').some((d) => d.reason === 'InvalidPath'));
  });

  it('app-root, permanent and temporal redirects; a CRLF redirect target is refused', async () => {
    const a = await req('approot.test', '/');
    assert.equal(a.status, 302);
    assert.equal(a.headers.location, 'http://approot.test/app1');
    assert.equal((await req('approot.test', '/other')).status, 200);
    const p = await req('moved.test', '/x?y=1');
    assert.equal(p.status, 308);
    assert.equal(p.headers.location, 'https://new.test/x?y=1');
    const t = await req('temp.test', '/x');
    assert.equal(t.status, 302);
    assert.equal(t.headers.location, 'https://tmp.test/');
    assert.equal((await req('moved-crlf.test')).status, 200);
    assert.ok(diag('moved-crlf-test').some((d) => d.reason === 'InvalidAnnotation'));
  });

  it('from-to-www-redirect: www.<host> answers 308 to <host>', async () => {
    const r = await req('www.example.test', '/p?q=1');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'http://example.test/p?q=1');
    assert.equal((await req('example.test', '/p')).status, 200);
  });

  it('basic auth: SHA-1 and bcrypt users, 401 with the realm otherwise; a missing Secret or digest fails closed', async () => {
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const none = await req('basic.test');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="Staff only"');
    assert.equal((await req('basic.test', '/', basic('alice', 's3cret'))).status, 200);
    assert.equal((await req('basic.test', '/', basic('bob', 'hunter2'))).status, 200);
    assert.equal((await req('basic.test', '/', basic('bob', 'wrong'))).status, 401);
    assert.equal((await req('basic.test', '/', basic('mallory', 's3cret'))).status, 401);
    assert.equal((await req('basic.test', '/', { authorization: `Basic ${'A'.repeat(5000)}` })).status, 401);
    // satisfy: any — the allow-list lets 127.0.0.1 in without credentials; elsewhere credentials do.
    assert.equal((await req('satisfy-ip.test')).status, 200);
    const challenged = await req('satisfy-auth.test');
    assert.equal(challenged.status, 401);
    assert.equal(challenged.headers['www-authenticate'], 'Basic realm="Authentication Required"');
    assert.equal((await req('satisfy-auth.test', '/', basic('alice', 's3cret'))).status, 200);
    assert.equal((await req('basic-missing.test')).status, 503);
    assert.equal((await req('digest.test')).status, 503);
  });

  it('upstream-vhost sets the Host the backend sees; a CRLF value is refused', async () => {
    assert.equal((await req('vhost.test')).headers['x-upstream-host'], 'internal.example');
    assert.equal((await req('vhost-evil.test')).headers['x-upstream-host'], 'vhost-evil.test');
  });

  it('CORS: preflight answered 204 by RAUTA for allowed origins, headers echoed; others get none', async () => {
    const pre = await req('cors.test', '/', { origin: 'https://a.app.test', 'access-control-request-method': 'PUT' }, 'OPTIONS');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://a.app.test');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    const simple = await req('cors.test', '/', { origin: 'https://exact.test:8443' });
    assert.equal(simple.status, 200);
    assert.equal(simple.headers['access-control-allow-origin'], 'https://exact.test:8443');
    const other = await req('cors.test', '/', { origin: 'https://a.b.app.test' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('snippets: header-only ones become header operations; variables or other directives refuse the Ingress', async () => {
    const r = await req('snippet.test');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(backend.seen.at(-1)?.headers['x-team'], 'blue');
    assert.equal((await req('snippet-evil.test')).status, 404);
    assert.equal((await req('snippet-lua.test')).status, 404);
    assert.ok(diag('snippet-lua-test').some((d) => d.reason === 'AnnotationRefused'));
    assert.ok(!pipeline.routes.table.ingresses.includes('default/snippet-lua-test'));
  });

  it('limit-rps: beyond rate × burst multiplier → 503 RAUTA_ERR_RATE_LIMITED', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await req('rps.test')).status);
    assert.ok(statuses.slice(0, 2).every((s) => s === 200), statuses.join(','));
    assert.ok(statuses.includes(503), statuses.join(','));
  });

  it('WebSocket upgrades obey the same access policy (no way around an allow-list or auth)', async () => {
    const upgrade = (host: string, extra = '') => rawRequest(pipeline.httpPort,
      `GET /chat HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`);
    assert.equal(rawStatus(await upgrade('allow.test')), 403);
    const unauth = await upgrade('basic.test');
    assert.equal(rawStatus(unauth), 401);
    assert.ok(rawHeaders(unauth).some(([k, v]) => k.toLowerCase() === 'www-authenticate' && v === 'Basic realm="Staff only"'));
    assert.equal(rawStatus(await upgrade('allow-bad.test')), 503);
    const moved = await upgrade('moved.test');
    assert.equal(rawStatus(moved), 308);
  });

  it('proxy-redirect-* and proxy-cookie-* rewrite what the backend says about itself; variables are refused', async () => {
    const r = await req('backhdr.test', '/redir');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'https://public.test/next');
    assert.deepEqual(r.headers['set-cookie'], ['s=1; Domain=public.test; Path=/x; HttpOnly', 'other=2; Domain=elsewhere.test; Path=/z']);
    assert.equal((await req('backhdr-evil.test', '/redir')).headers.location, 'http://internal.svc:8080/next');
  });

  it('server-alias: the listed names serve the same rules; a bad name is skipped with a warning', async () => {
    assert.equal((await req('alias2.test', '/x')).status, 200);
    assert.equal((await req('a.alias3.test', '/x')).status, 200);
    assert.ok(diag('alias-test').some((d) => /bad_alias/.test(d.message)));
  });

  it('a name under the prefix that is not an ingress-nginx annotation is reported as a typo', () => {
    assert.ok(diag('typo-test').some((d) => /not an ingress-nginx annotation \(typo\?\)/.test(d.message)));
  });

  it('auth-url with a variable outside the allowed set fails closed', async () => {
    assert.equal((await req('auth-url-var.test')).status, 503);
    assert.ok(diag('auth-url-var-test').some((d) => /\$http_authorization is not an allowed variable/.test(d.message)));
    // A client-chosen auth server ($host) would let it answer "allowed" itself.
    assert.equal((await req('auth-url-host.test')).status, 503);
    assert.ok(diag('auth-url-host-test').some((d) => /literal http/.test(d.message)));
  });
});
