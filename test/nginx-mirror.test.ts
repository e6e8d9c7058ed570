import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, refusedPort, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

const N = 'nginx.ingress.kubernetes.io/';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/**
 * mirror-target, mirror-request-body and mirror-host over real sockets: copies reach the mirror with the
 * request's URI, Host and body; a slow, silent or unreachable mirror never delays or fails the request.
 */
describe('nginx annotations - mirror-target', () => {
  let app: TestBackend;
  let copies: TestBackend;
  let silent: TestBackend;
  let pipeline: RecordingPipeline;
  const objects: Obj[] = [];
  const site = (host: string, annotations: Record<string, string>) => {
    objects.push(ingress(host.replaceAll('.', '-'), { rules: [{ host, paths: [{ path: '/', service: 'app' }] }], annotations }));
  };
  const seenBy = (host: string) => copies.seen.filter((s) => s.headers['x-site'] === host);

  before(async () => {
    app = await startBackend('127.0.0.3', (req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`app ${req.method} ${req.url} ${body.length}`);
    });
    copies = await startBackend('127.0.0.6', (_req, res) => {
      res.writeHead(204);
      res.end();
    });
    // Takes the copy's head, never reads its body, never answers.
    silent = await startBackend('127.0.0.7', (req) => { req.pause(); }, { streaming: true });
    const closed = await refusedPort('127.0.0.8');
    const to = `http://127.0.0.6:${copies.port}`;
    site('mirror.test', { [`${N}mirror-target`]: `${to}$request_uri` });
    site('mirror-fixed.test', { [`${N}mirror-target`]: `${to}/copy?from=$host` });
    site('mirror-host.test', { [`${N}mirror-target`]: `${to}$request_uri`, [`${N}mirror-host`]: 'shadow.internal' });
    site('mirror-nobody.test', { [`${N}mirror-target`]: `${to}$request_uri`, [`${N}mirror-request-body`]: 'off' });
    site('mirror-silent.test', { [`${N}mirror-target`]: `http://127.0.0.7:${silent.port}$request_uri` });
    site('mirror-closed.test', { [`${N}mirror-target`]: `http://127.0.0.8:${closed}$request_uri` });
    site('bad-var.test', { [`${N}mirror-target`]: `${to}$request_uri$http_cookie` });
    site('bad-crlf.test', { [`${N}mirror-target`]: `${to}/\r\nX-Evil: 1` });
    site('bad-userinfo.test', { [`${N}mirror-target`]: `http://user@127.0.0.6:${copies.port}/` });
    site('bad-host-var.test', { [`${N}mirror-target`]: 'http://$host/x' });
    site('bad-scheme.test', { [`${N}mirror-target`]: 'file:///etc/passwd' });
    site('bad-port.test', { [`${N}mirror-target`]: 'http://127.0.0.6:99999/' });
    site('bad-huge.test', { [`${N}mirror-target`]: `${to}/${'a'.repeat(5000)}` });
    site('bad-mhost.test', { [`${N}mirror-target`]: `${to}$request_uri`, [`${N}mirror-host`]: 'a.test\r\nx: y', [`${N}mirror-request-body`]: 'maybe' });
    pipeline = await startRecordingPipeline([ingressClass(), ...objects, service('app'), endpointSlice('app', app.port, [{ ip: app.ip }])]);
  });
  after(async () => {
    await pipeline.stop();
    await app.close();
    await copies.close();
    await silent.close();
  });
  const req = (host: string, path = '/', method = 'GET', body?: Buffer, headers: Record<string, string> = {}) =>
    get(pipeline.httpPort, path, { host, 'x-site': host, ...headers }, method, body);
  const diag = (ingressName: string) => pipeline.routes.table.diagnostics.filter((d) => d.ingress === ingressName);

  it('a copy of the request reaches the mirror URL with the request URI and the target\'s Host', async () => {
    const r = await req('mirror.test', '/a/b?c=1');
    assert.equal(r.body, 'app GET /a/b?c=1 0');
    await until(() => seenBy('mirror.test').length > 0);
    const [copy] = seenBy('mirror.test');
    assert.equal(copy.method, 'GET');
    assert.equal(copy.url, '/a/b?c=1');
    assert.equal(copy.headers.host, `127.0.0.6:${copies.port}`);
    await req('mirror-fixed.test', '/x?y=2');
    await until(() => seenBy('mirror-fixed.test').length > 0);
    assert.equal(seenBy('mirror-fixed.test')[0].url, '/copy?from=mirror-fixed.test');
    await req('mirror-host.test', '/h');
    await until(() => seenBy('mirror-host.test').length > 0);
    assert.equal(seenBy('mirror-host.test')[0].headers.host, 'shadow.internal');
  });

  it('the body is copied as it flows (mirror-request-body on by default); off sends the copy without it', async () => {
    const body = Buffer.alloc(200 * 1024, 'q');
    assert.equal((await req('mirror.test', '/upload', 'POST', body)).body, `app POST /upload ${body.length}`);
    await until(() => seenBy('mirror.test').some((s) => s.url === '/upload'));
    const copy = seenBy('mirror.test').find((s) => s.url === '/upload');
    assert.equal(copy?.method, 'POST');
    assert.equal(copy?.body.length, body.length);
    assert.ok(copy?.body.equals(body));
    // A chunked body (no Content-Length) is copied too.
    const chunked = await req('mirror.test', '/chunked', 'POST', Buffer.from('abc'), { 'transfer-encoding': 'chunked' });
    assert.equal(chunked.body, 'app POST /chunked 3');
    await until(() => seenBy('mirror.test').some((s) => s.url === '/chunked'));
    assert.equal(seenBy('mirror.test').find((s) => s.url === '/chunked')?.body.toString(), 'abc');
    assert.equal((await req('mirror-nobody.test', '/nb', 'POST', Buffer.from('secret'))).body, 'app POST /nb 6');
    await until(() => seenBy('mirror-nobody.test').length > 0);
    const nb = seenBy('mirror-nobody.test')[0];
    assert.equal(nb.method, 'POST');
    assert.equal(nb.body.length, 0);
  });

  it('an HTTP/2 request\'s body is copied too', async () => {
    const body = Buffer.alloc(100 * 1024, 'h');
    const status = await new Promise<number>((resolve, reject) => {
      const session = h2connect(`https://127.0.0.1:${pipeline.httpsPort}`, { servername: 'mirror.test', rejectUnauthorized: false });
      session.on('error', reject);
      const stream = session.request({ ':method': 'POST', ':path': '/h2', ':authority': 'mirror.test', 'x-site': 'mirror.test' });
      stream.on('response', (h) => { resolve(Number(h[':status'])); stream.resume(); stream.on('end', () => session.close()); });
      stream.on('error', reject);
      stream.end(body);
    });
    assert.equal(status, 200);
    await until(() => seenBy('mirror.test').some((s) => s.url === '/h2'));
    const copy = seenBy('mirror.test').find((s) => s.url === '/h2');
    assert.equal(copy?.method, 'POST');
    assert.ok(copy?.body.equals(body));
  });

  it('a mirror that never answers or reads, or cannot be reached, never delays or fails the request', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 'z');
    const dropped = pipeline.mirror.stats.failed;
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      assert.equal((await req('mirror-silent.test', `/s${i}`)).body, `app GET /s${i} 0`);
    }
    // 32 MiB (more than loopback socket buffers hold) to a mirror that reads nothing: the copy falls more
    // than 1 MiB behind and is dropped, long before the mirror's 10 s timeout.
    assert.equal((await req('mirror-silent.test', '/big', 'POST', big)).body, `app POST /big ${big.length}`);
    for (let i = 0; i < 3; i++) assert.equal((await req('mirror-closed.test', `/c${i}`)).status, 200);
    // Generous bound (a loaded machine): the mirrors' 10 s timeout was never waited for.
    assert.ok(Date.now() - started < 8000, `took ${Date.now() - started}ms`);
    // The unreachable copies and the one that fell behind fail without waiting for their timeout.
    await until(() => pipeline.mirror.stats.failed >= dropped + 4, 5000);
    assert.ok(pipeline.mirror.stats.failed >= dropped + 4, JSON.stringify(pipeline.mirror.stats));
    assert.ok(Date.now() - started < 9000, `took ${Date.now() - started}ms`);
  });

  it('hostile values: variables outside the allowed set, CR/LF, user info, variable hosts, other schemes are refused', async () => {
    for (const [host, pattern] of [
      ['bad-var.test', /mirror-target.*\$http_cookie is not an allowed variable/],
      ['bad-crlf.test', /mirror-target.*must be an http/],
      ['bad-userinfo.test', /mirror-target.*must not carry user info/],
      ['bad-host-var.test', /mirror-target.*no variables in the host/],
      ['bad-scheme.test', /mirror-target.*must be an http/],
      ['bad-port.test', /mirror-target.*port 99999 is not 1\.\.65535/],
      ['bad-huge.test', /mirror-target.*longer than 2048/],
    ] as const) {
      assert.equal((await req(host, '/p')).body, 'app GET /p 0', host);
      assert.ok(diag(host.replaceAll('.', '-')).some((d) => d.reason === 'InvalidAnnotation' && pattern.test(d.message)), `${host}: ${JSON.stringify(diag(host.replaceAll('.', '-')))}`);
    }
    const d = diag('bad-mhost-test');
    assert.ok(d.some((x) => /mirror-host.*is not a host name/.test(x.message)));
    assert.ok(d.some((x) => /mirror-request-body.*is not on or off/.test(x.message)));
    await req('bad-mhost.test', '/m', 'POST', Buffer.from('xy'));
    await until(() => seenBy('bad-mhost.test').length > 0);
    const copy = seenBy('bad-mhost.test')[0];
    assert.equal(copy.headers.host, `127.0.0.6:${copies.port}`);
    assert.equal(copy.body.toString(), 'xy');
  });
});
