import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type PolicyOp, type Phase, buildPolicy } from '../src/routing/policy.ts';
import { RouteTable } from '../src/routing/route-table.ts';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

/**
 * The traffic-policy interpreter over real sockets, with hand-built operations (the annotation parsers
 * have their own tests): each phase's operations change or answer real requests.
 */
describe('policy - interpreter phases over real sockets', () => {
  let backend: TestBackend;
  let pipeline: RecordingPipeline;
  before(async () => {
    backend = await startBackend('127.0.0.3', (req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': 'yes', 'x-drop-me': '1' });
      res.end(`${req.url} ${req.headers.host} ${body.length}`);
    });
    pipeline = await startRecordingPipeline([
      ingressClass(),
      ingress('web', { rules: [{ host: 'policy.test', paths: [{ path: '/app', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', backend.port, [{ ip: backend.ip }]),
    ]);
  });
  after(async () => {
    await pipeline.stop();
    await backend.close();
  });

  /** Replaces the route's traffic policy in the live table. */
  function usePolicy(ops: { op: PolicyOp; phase?: Phase }[]): void {
    const t = pipeline.routes.table;
    const routes = t.routes.map((r) => Object.freeze({ ...r, policy: Object.freeze({ ...r.policy, traffic: buildPolicy(ops) }) }));
    pipeline.routes.swap(new RouteTable({ ...t, routes }));
  }
  const host = { host: 'policy.test' };

  it('policy - no operations: forwarded unchanged', async () => {
    usePolicy([]);
    const r = await get(pipeline.httpPort, '/app/x?q=1', host);
    assert.equal(r.status, 200);
    assert.equal(r.body, '/app/x?q=1 policy.test 0');
  });

  it('access - source-range allow list without the client answers 403 RAUTA_ERR_FORBIDDEN; with it, forwards', async () => {
    usePolicy([{ op: { kind: 'source-range', mode: 'allow', cidrs: ['10.0.0.0/8'] } }]);
    const denied = await get(pipeline.httpPort, '/app', host);
    assert.equal(denied.status, 403);
    assert.match(denied.body, /RAUTA_ERR_FORBIDDEN/);
    usePolicy([{ op: { kind: 'source-range', mode: 'allow', cidrs: ['127.0.0.0/8'] } }]);
    assert.equal((await get(pipeline.httpPort, '/app', host)).status, 200);
    usePolicy([{ op: { kind: 'source-range', mode: 'deny', cidrs: ['127.0.0.1/32'] } }]);
    assert.equal((await get(pipeline.httpPort, '/app', host)).status, 403);
  });

  it('access - fail-closed answers 503 RAUTA_ERR_POLICY_UNAVAILABLE and never reaches the backend', async () => {
    const before = backend.seen.length;
    usePolicy([{ op: { kind: 'fail-closed', reason: 'InvalidAuthSecret', message: 'auth-secret default/missing not found' } }]);
    const r = await get(pipeline.httpPort, '/app', host);
    assert.equal(r.status, 503);
    assert.match(r.body, /RAUTA_ERR_POLICY_UNAVAILABLE/);
    assert.match(r.body, /auth-secret default\/missing not found/);
    assert.equal(backend.seen.length, before);
  });

  it('request - rewrite (prefix and regex with captures) and Host override reach the backend', async () => {
    usePolicy([{ op: { kind: 'rewrite', hostname: 'internal.svc', path: { type: 'ReplacePrefixMatch', value: '/v2' } } }]);
    assert.equal((await get(pipeline.httpPort, '/app/items?id=3', host)).body, '/v2/items?id=3 internal.svc 0');
    usePolicy([{ op: { kind: 'rewrite', path: { type: 'RegexReplace', pattern: '/app(/|$)(.*)', caseInsensitive: true, template: [{ lit: '/' }, { capture: 2 }] } } }]);
    assert.equal((await get(pipeline.httpPort, '/app/deep/er?x=1', host)).body, '/deep/er?x=1 policy.test 0');
  });

  it('request and response - header modifiers apply on both sides', async () => {
    usePolicy([
      { op: { kind: 'headers', modifier: { set: [{ name: 'x-tenant', value: 'blue' }], remove: ['x-secret'] } }, phase: 'request' },
      { op: { kind: 'headers', modifier: { add: [{ name: 'x-served-by', value: 'rauta' }], remove: ['x-drop-me'] } }, phase: 'response' },
    ]);
    const r = await get(pipeline.httpPort, '/app', { ...host, 'x-secret': 's', 'x-tenant': 'red' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-served-by'], 'rauta');
    assert.equal(r.headers['x-drop-me'], undefined);
    assert.equal(r.headers['x-backend'], 'yes');
    const seen = backend.seen.at(-1);
    assert.equal(seen?.headers['x-tenant'], 'blue');
    assert.equal(seen?.headers['x-secret'], undefined);
  });

  it('request - redirect: Gateway-style fields and a full Location template', async () => {
    usePolicy([{ op: { kind: 'redirect', status: 301, scheme: 'https', hostname: 'new.test', keepQuery: true, path: { type: 'ReplacePrefixMatch', value: '/b' } } }]);
    let r = await get(pipeline.httpPort, '/app/c?d=1', host);
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://new.test/b/c?d=1');
    usePolicy([{ op: { kind: 'redirect', status: 308, keepQuery: false, location: [{ lit: 'https://elsewhere.test' }, { var: 'request_uri' }] } }]);
    r = await get(pipeline.httpPort, '/app/c?d=1', host);
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, 'https://elsewhere.test/app/c?d=1');
  });

  it('request - body limit: 413 for a declared length and for a chunked body that grows past it', async () => {
    usePolicy([{ op: { kind: 'body-limit', maxBytes: 1000 } }]);
    assert.equal((await get(pipeline.httpPort, '/app', host, 'POST', Buffer.alloc(999))).status, 200);
    const big = await get(pipeline.httpPort, '/app', host, 'POST', Buffer.alloc(1001));
    assert.equal(big.status, 413);
    assert.match(big.body, /RAUTA_ERR_BODY_TOO_LARGE/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: pipeline.httpPort, path: '/app', method: 'POST', headers: { ...host, 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let sent = 0;
      const tick = setInterval(() => {
        if (sent > 5000 || req.destroyed) { clearInterval(tick); req.end(); return; }
        req.write(Buffer.alloc(500));
        sent += 500;
      }, 5);
    });
    assert.equal(status, 413);
  });
});
