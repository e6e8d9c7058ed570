import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { normalizePath } from '../src/proxy/request-path.ts';
import { type TestBackend, rawRequest, rawStatus, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { h2request, h2session } from './support/h2-client.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

describe('proxy - request paths are normalised before matching, and forwarded as matched', () => {
  let backend: TestBackend;
  let p: RecordingPipeline;
  before(async () => {
    backend = await startBackend('127.0.0.21', (req, res) => res.end(`saw ${req.url}`));
    // Only /public is routed: anything that resolves outside it must not reach the backend.
    p = await startRecordingPipeline([
      ingressClass(),
      ingress('pub', { rules: [{ host: 'paths.test', paths: [{ path: '/public', pathType: 'Prefix', service: 'pub' }] }] }),
      service('pub'),
      endpointSlice('pub', backend.port, [{ ip: backend.ip, pod: 'pub-0' }]),
    ], { RAUTA_H2C: 'true' });
  });
  after(async () => {
    await p.stop();
    await backend.close();
  });

  const raw = (target: string) => rawRequest(p.httpPort, `GET ${target} HTTP/1.1\r\nHost: paths.test\r\nConnection: close\r\n\r\n`);

  it('dot segments cannot climb out of a Prefix rule (plain and percent-encoded)', async () => {
    const seenBefore = backend.seen.length;
    for (const target of ['/public/../private/x', '/public/%2e%2e/private/x', '/public/%2E%2E/private/x', '/public/.%2e/private/x', '/public/a/../../private/x']) {
      const answer = await raw(target);
      assert.equal(rawStatus(answer), 404, `${target} → ${answer.split('\r\n')[0]}`);
    }
    assert.equal(backend.seen.length, seenBefore, 'no request reached the backend');
  });

  it('the backend receives exactly the normalised path that matched, query untouched', async () => {
    const cases: [string, string][] = [
      ['/public/./a/b/../c', '/public/a/c'],
      ['/public//a///b', '/public/a/b'],
      ['/x/../public/%70age', '/public/page'],
      ['/public/a%2Fb/../c', '/public/c'],
      ['/public/a%2F..%2Fb', '/public/a%2F..%2Fb'],
      ['/public/dir/..?next=/../x', '/public/?next=/../x'],
      ['/public/%7euser', '/public/~user'],
      ['/public/caf%C3%A9', '/public/caf%C3%A9'],
    ];
    for (const [target, expected] of cases) {
      const res = await get(p.httpPort, target, { host: 'paths.test' });
      assert.equal(res.status, 200, target);
      assert.equal(backend.seen[backend.seen.length - 1].url, expected, target);
    }
    const rec = p.finished[p.finished.length - 1];
    assert.equal(rec.path, '/public/caf%C3%A9');
  });

  it('a path that climbs above the root, or a dot segment with parameters, is refused with 400 and an event', async () => {
    const seenBefore = backend.seen.length;
    for (const target of ['/..', '/../public/x', '/public/../../x', '/public/..;/private', '/public/.;/x', '/%2e%2e/public']) {
      const before = p.finished.length;
      const answer = await raw(target);
      assert.equal(rawStatus(answer), 400, target);
      assert.match(answer, /RAUTA_ERR_BAD_REQUEST/);
      for (let i = 0; i < 100 && p.finished.length === before; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(p.finished[p.finished.length - 1].statusCode, 400);
    }
    assert.equal(backend.seen.length, seenBefore);
  });

  it('HTTP/2 :path is normalised the same way (h2c)', async () => {
    const session = await h2session(`http://127.0.0.1:${p.httpPort}`);
    try {
      const seenBefore = backend.seen.length;
      const out = await h2request(session, { ':path': '/public/../private/x', ':authority': 'paths.test' });
      assert.equal(out.status, 404);
      const up = await h2request(session, { ':path': '/public/%2e%2e/public/./y', ':authority': 'paths.test' });
      assert.equal(up.status, 200);
      assert.equal(up.body, 'saw /public/y');
      assert.equal(backend.seen.length, seenBefore + 1);
      const bad = await h2request(session, { ':path': '/../x', ':authority': 'paths.test' });
      assert.equal(bad.status, 400);
    } finally {
      session.close();
    }
  });
});

describe('proxy - normalizePath (RFC 3986 §5.2.4 plus the documented decisions)', () => {
  it('removes dot segments, merges slashes, keeps a trailing slash', () => {
    assert.equal(normalizePath('/'), '/');
    assert.equal(normalizePath('//'), '/');
    assert.equal(normalizePath('/a/b/c/./../../g'), '/a/g');
    assert.equal(normalizePath('/mid/content=5/../6'), '/mid/6');
    assert.equal(normalizePath('/a/.'), '/a/');
    assert.equal(normalizePath('/a/b/..'), '/a/');
    assert.equal(normalizePath('/a//'), '/a/');
    assert.equal(normalizePath('/a/..'), '/');
    assert.equal(normalizePath('/.well-known/x'), '/.well-known/x');
    assert.equal(normalizePath('/a/...'), '/a/...');
    assert.equal(normalizePath('/a/..b/c'), '/a/..b/c');
  });
  it('decodes only unreserved escapes; %2F and invalid escapes stay', () => {
    assert.equal(normalizePath('/%41%2d%5F%7E'), '/A-_~');
    assert.equal(normalizePath('/a%2fb'), '/a%2fb');
    assert.equal(normalizePath('/a%zz%2'), '/a%zz%2');
    assert.equal(normalizePath('/a%252e%252e'), '/a%252e%252e');
  });
  it('refuses climbing above the root and dot segments with parameters', () => {
    assert.equal(normalizePath('/..'), undefined);
    assert.equal(normalizePath('/a/../..'), undefined);
    assert.equal(normalizePath('/a/..;jsessionid=1/b'), undefined);
    assert.equal(normalizePath('/a/.;/b'), undefined);
  });
  it('leaves targets that are not paths alone', () => {
    assert.equal(normalizePath('*'), '*');
  });
});
