import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { makeCert, tlsSecret } from './support/certs.ts';
import { get } from './support/client.ts';
import { h2request, h2session } from './support/h2-client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

interface Echo { path: string; host: string; proto: string; method: string; body_bytes: number; headers: Record<string, string> }

function yaml(echoPort: number): string {
  return toYaml([
    ingressClass(),
    ingress('web', { rules: [{ host: 'h2.test', paths: [{ service: 'web' }] }], tls: [{ hosts: ['h2.test'], secretName: 'h2-tls' }], annotations: { 'rauta.io/ssl-redirect': 'false' } }),
    service('web'),
    endpointSlice('web', echoPort, [{ ip: '127.0.0.2', pod: 'web-0' }]),
    tlsSecret('h2-tls', makeCert(['h2.test'])),
  ]);
}

describe('http2 - clients over TLS (ALPN h2) proxied to HTTP/1.1 backends', () => {
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.2');
    rauta = await startStandalone(yaml(echo.port), { RAUTA_H2_MAX_CONCURRENT_STREAMS: '128' });
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
  });

  it('negotiates h2 and serves 100 concurrent streams on one connection', async () => {
    const session = await h2session(`https://127.0.0.1:${rauta.httpsPort}`, 'h2.test');
    try {
      assert.equal(session.alpnProtocol, 'h2');
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => h2request(session, { ':path': `/s/${i}`, ':authority': 'h2.test' })));
      results.forEach((r, i) => {
        assert.equal(r.status, 200);
        const body = JSON.parse(r.body) as Echo;
        assert.equal(body.path, `/s/${i}`);
        assert.equal(body.proto, 'HTTP/1.1');
      });
    } finally {
      session.close();
    }
  });

  it('translates headers: :authority → Host, cookies joined, te and pseudo-headers dropped, no connection headers back', async () => {
    const session = await h2session(`https://127.0.0.1:${rauta.httpsPort}`, 'h2.test');
    try {
      const res = await h2request(session, {
        ':path': '/hdr?q=1', ':authority': 'h2.test', ':method': 'GET',
        cookie: ['a=1', 'b=2', 'c=3'], te: 'trailers', 'x-custom': 'kept',
      });
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body) as Echo;
      assert.equal(body.host, 'h2.test');
      assert.equal(body.path, '/hdr?q=1');
      assert.equal(body.headers.cookie, 'a=1; b=2; c=3');
      assert.equal(body.headers.te, undefined);
      assert.equal(body.headers['x-custom'], 'kept');
      assert.equal(body.headers['x-forwarded-proto'], 'https');
      assert.equal(body.headers['x-forwarded-host'], 'h2.test');
      assert.deepEqual(Object.keys(body.headers).filter((k) => k.startsWith(':')), []);
      // The echo backend answers with Connection: keep-alive and Keep-Alive: timeout=5.
      for (const h of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade']) assert.equal(res.headers[h], undefined, h);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    } finally {
      session.close();
    }
  });

  it('streams a request body without Content-Length to the HTTP/1.1 backend', async () => {
    const session = await h2session(`https://127.0.0.1:${rauta.httpsPort}`, 'h2.test');
    try {
      const payload = Buffer.alloc(200_000, 7);
      const res = await h2request(session, { ':path': '/upload', ':authority': 'h2.test', ':method': 'POST' }, payload);
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body) as Echo;
      assert.equal(body.method, 'POST');
      assert.equal(body.body_bytes, payload.length);
    } finally {
      session.close();
    }
  });

  it('answers its own errors over HTTP/2 (404 for an unknown host)', async () => {
    const session = await h2session(`https://127.0.0.1:${rauta.httpsPort}`, 'h2.test');
    try {
      const res = await h2request(session, { ':path': '/', ':authority': 'nope.test' });
      assert.equal(res.status, 404);
      assert.match(res.body, /RAUTA_ERR_NO_ROUTE/);
    } finally {
      session.close();
    }
  });
});

describe('http2 - h2c with prior knowledge on the plain port, and the rapid-reset cap', () => {
  let echo: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    echo = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.3');
    rauta = await startStandalone(yaml(echo.port).replaceAll('127.0.0.2', '127.0.0.3'), { RAUTA_H2C: 'true', RAUTA_H2_MAX_RESETS_PER_10S: '20', RAUTA_H2_MAX_CONCURRENT_STREAMS: '16', RAUTA_H2_MAX_HEADER_LIST_SIZE: '4096' });
  });
  after(async () => {
    await rauta.stop();
    await echo.close();
  });

  it('serves h2c and HTTP/1.1 (including Upgrade: h2c requests, served as HTTP/1.1) on the same port', async () => {
    const session = await h2session(`http://127.0.0.1:${rauta.httpPort}`);
    try {
      const res = await h2request(session, { ':path': '/c', ':authority': 'h2.test' });
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body) as Echo;
      assert.equal(body.path, '/c');
      assert.equal(body.headers['x-forwarded-proto'], 'http');
    } finally {
      session.close();
    }
    const h1 = await get(rauta.httpPort, '/h1', { host: 'h2.test' });
    assert.equal(h1.status, 200);
    const up = await get(rauta.httpPort, '/up', { host: 'h2.test', connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQCAAAAAAIAAAAA' });
    assert.equal(up.status, 200);
    assert.equal(JSON.parse(up.body).headers.upgrade, undefined);
  });

  it('announces and enforces the configured limits', async () => {
    const session = await h2session(`http://127.0.0.1:${rauta.httpPort}`);
    try {
      await new Promise((r) => (session.remoteSettings.maxConcurrentStreams === 16 ? r(undefined) : session.once('remoteSettings', r)));
      assert.equal(session.remoteSettings.maxConcurrentStreams, 16);
      assert.equal(session.remoteSettings.maxHeaderListSize, 4096);
      // 20 requests on a 16-stream connection: the client queues, all complete.
      const all = await Promise.all(Array.from({ length: 20 }, (_, i) => h2request(session, { ':path': `/q/${i}`, ':authority': 'h2.test' })));
      assert.ok(all.every((r) => r.status === 200));
      await assert.rejects(h2request(session, { ':path': '/big', ':authority': 'h2.test', 'x-big': 'x'.repeat(8192) }));
    } finally {
      session.destroy();
    }
  });

  it('closes a connection that resets more streams than RAUTA_H2_MAX_RESETS_PER_10S (CVE-2023-44487)', async () => {
    const session = await h2session(`http://127.0.0.1:${rauta.httpPort}`);
    const closed = new Promise<number | undefined>((resolve) => {
      let code: number | undefined;
      session.on('goaway', (c: number) => { code = c; });
      session.on('close', () => resolve(code));
    });
    const before = rauta.protocols.http2Sessions.closedForResets;
    let opened = 0;
    for (let i = 0; i < 200 && !session.closed && !session.destroyed; i++) {
      const req = session.request({ ':path': `/r/${i}`, ':authority': 'h2.test' });
      req.on('error', () => {});
      req.close(constants.NGHTTP2_CANCEL);
      opened++;
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    const code = await Promise.race([closed, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref())]);
    assert.notEqual(code, 'timeout', 'the server did not close the connection');
    assert.equal(code, constants.NGHTTP2_ENHANCE_YOUR_CALM);
    assert.ok(opened > 20);
    assert.equal(rauta.protocols.http2Sessions.closedForResets, before + 1);
    // Well-behaved connections are unaffected.
    const fresh = await h2session(`http://127.0.0.1:${rauta.httpPort}`);
    try {
      assert.equal((await h2request(fresh, { ':path': '/ok', ':authority': 'h2.test' })).status, 200);
    } finally {
      fresh.close();
    }
  });
});
