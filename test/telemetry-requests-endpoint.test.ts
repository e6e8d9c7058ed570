import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get } from './support/client.ts';
import { type RequestEventJson, assertValidEvent, validRequestEvents } from './support/event-schema.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/** Sends raw bytes and returns everything the server answers before closing. */
function raw(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(Buffer.concat(chunks).toString()) : reject(err)));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString()));
    sock.end(payload);
  });
}

async function requestsJson(rauta: RunningRauta, query = ''): Promise<RequestEventJson[]> {
  const res = await get(rauta.adminPort, `/requests?format=json${query}`);
  assert.equal(res.status, 200, res.body);
  return validRequestEvents(JSON.parse(res.body));
}

/** Events reach the ring in the bus's drain (next event-loop turn): poll until `n` are there. */
async function waitForEvents(rauta: RunningRauta, n: number): Promise<RequestEventJson[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const events = await requestsJson(rauta, '&limit=1000');
    if (events.length >= n) return events;
    if (Date.now() > deadline) throw new Error(`expected ${n} events in /requests, have ${events.length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('telemetry - ring buffer and /requests', () => {
  let web: EchoServer;
  let api: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    web = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.2');
    api = await startEcho({ namespace: 'shop', ingress: 'api', service: 'api', pod: 'api-0' }, '127.0.0.3');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', web.port, [{ ip: '127.0.0.2', pod: 'web-0', node: 'node-a', zone: 'zone-1' }]),
      ingress('api', { namespace: 'shop', rules: [{ host: 'api.test', paths: [{ path: '/api', pathType: 'Prefix', service: 'api' }] }] }),
      service('api', { namespace: 'shop' }),
      endpointSlice('api', api.port, [{ ip: '127.0.0.3', pod: 'api-0' }], { namespace: 'shop' }),
    ]), { RAUTA_RING_SIZE: '50', RAUTA_CLUSTER_NAME: 'test-cluster', NODE_NAME: 'rauta-node' });

    assert.equal((await get(rauta.httpPort, '/hello', { host: 'web.test' })).status, 200);
    const secret = await get(rauta.httpPort, '/api/users?token=s3cret', {
      host: 'api.test', authorization: 'Bearer top-secret', cookie: 'session=cookie-secret', 'user-agent': 'telemetry-test/1.0', 'x-request-id': 'req-fixed-1',
    });
    assert.equal(secret.status, 200);
    assert.equal((await get(rauta.httpPort, '/nope', { host: 'unknown.test' })).status, 404);
    const tooLarge = await raw(rauta.httpPort, `GET / HTTP/1.1\r\nHost: web.test\r\nX-Big: ${'a'.repeat(40 * 1024)}\r\n\r\n`);
    assert.match(tooLarge, /^HTTP\/1\.1 431 /);
    await waitForEvents(rauta, 4);
  });
  after(async () => {
    await rauta.stop();
    await web.close();
    await api.close();
  });

  it('keeps one schema-valid event per request, newest first, RAUTA\'s own 404 and 431 included', async () => {
    const events = await requestsJson(rauta);
    assert.equal(events.length, 4);
    assert.deepEqual(events.map((e) => e.data.status_code), [431, 404, 200, 200]);
    const [e431, e404, eApi, eWeb] = events;
    assert.equal(e431.error?.code, 'RAUTA_ERR_HEADERS_TOO_LARGE');
    assert.equal(e431.severity, 'warning');
    assert.equal(e404.error?.code, 'RAUTA_ERR_NO_ROUTE');
    assert.equal(e404.outcome, 'failure');
    assert.equal(e404.data.route, undefined);
    assert.equal(eWeb.severity, 'info');
    assert.equal(eWeb.outcome, 'success');
    assert.deepEqual(eWeb.data.route, { ingress: 'web', host: 'web.test', path: '/', path_type: 'Prefix' });
    assert.equal(eWeb.data.backend?.pod, 'web-0');
    assert.equal(eWeb.data.backend?.pod_ip, '127.0.0.2');
    assert.equal(eWeb.data.backend?.pod_port, web.port);
    assert.deepEqual(eWeb.context.entities.map((x) => `${x.kind}:${x.id}`), ['ingress:default/web', 'service:default/web', 'pod:default/web-0']);
    assert.ok(eWeb.context.correlation_keys.includes('pod_ip:127.0.0.2'));
    assert.ok(eApi.context.correlation_keys.includes('request_id:req-fixed-1'));
    assert.ok(eApi.context.correlation_keys.includes(`trace_id:${eApi.context.trace_id}`));
    assert.equal(eApi.context.namespace, 'shop');
    assert.equal((eApi as unknown as { context: { cluster: string; node: string } }).context.cluster, 'test-cluster');
    assert.equal((eApi as unknown as { context: { cluster: string; node: string } }).context.node, 'rauta-node');
    // Ids are ULIDs in creation order.
    assert.ok(events[3].id < events[0].id);
  });

  it('never puts Authorization, Cookie or the query string into an event', async () => {
    const events = await requestsJson(rauta, '&host=api.test');
    assert.equal(events.length, 1);
    const text = JSON.stringify(events[0]);
    assert.doesNotMatch(text, /top-secret|cookie-secret|s3cret|authorization|cookie/i);
    assert.equal(events[0].data.path, '/api/users');
    assert.equal((events[0].data as unknown as { user_agent: string }).user_agent, 'telemetry-test/1.0');
  });

  it('prints one text line per request: method host+path status duration → pod', async () => {
    const res = await get(rauta.adminPort, '/requests');
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const lines = res.body.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^UNKNOWN - 431 \d+ms → RAUTA_ERR_HEADERS_TOO_LARGE$/);
    assert.match(lines[1], /^GET unknown\.test\/nope 404 \d+ms → RAUTA_ERR_NO_ROUTE$/);
    assert.match(lines[2], new RegExp(`^GET api\\.test/api/users 200 \\d+ms → 127\\.0\\.0\\.3:${api.port}$`));
    assert.match(lines[3], new RegExp(`^GET web\\.test/hello 200 \\d+ms → 127\\.0\\.0\\.2:${web.port}$`));
  });

  it('answers JSON for Accept: application/json and filters by limit, status, host and service', async () => {
    const accept = await get(rauta.adminPort, '/requests', { accept: 'application/json' });
    assert.equal(validRequestEvents(JSON.parse(accept.body)).length, 4);
    assert.deepEqual((await requestsJson(rauta, '&limit=2')).map((e) => e.data.status_code), [431, 404]);
    assert.deepEqual((await requestsJson(rauta, '&status=4xx')).map((e) => e.data.status_code), [431, 404]);
    assert.deepEqual((await requestsJson(rauta, '&status=404')).map((e) => e.data.path), ['/nope']);
    assert.deepEqual((await requestsJson(rauta, '&status=5xx')), []);
    assert.deepEqual((await requestsJson(rauta, '&host=web.test')).map((e) => e.data.path), ['/hello']);
    assert.deepEqual((await requestsJson(rauta, '&service=api')).map((e) => e.data.path), ['/api/users']);
    assert.deepEqual((await requestsJson(rauta, '&service=shop/api')).map((e) => e.data.path), ['/api/users']);
    assert.deepEqual((await requestsJson(rauta, '&service=default/api')), []);
    assert.equal((await get(rauta.adminPort, '/requests?status=teapot')).status, 400);
    assert.equal((await get(rauta.adminPort, '/requests?limit=-1')).status, 400);
  });

  it('streams events as Server-Sent Events and forgets a client that disconnects', async () => {
    const ssePublished = async () => {
      const m = (await get(rauta.adminPort, '/metrics')).body.match(/^rauta_events_published_total\{sink="sse"\} (\d+)/m);
      return Number(m?.[1]);
    };
    const before = await ssePublished();
    const received: string[] = [];
    const ac = new AbortController();
    const gotOne = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: rauta.adminPort, path: '/requests/stream?host=web.test', signal: ac.signal }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i = buf.indexOf('\n\n');
          while (i !== -1) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (frame.startsWith('data: ')) received.push(frame.slice(6));
            i = buf.indexOf('\n\n');
          }
          if (received.length > 0) resolve();
        });
        // Send traffic once the stream is open: one filtered out, one matching.
        void get(rauta.httpPort, '/api/x', { host: 'api.test' })
          .then(() => get(rauta.httpPort, '/live', { host: 'web.test' }))
          .catch(reject);
      });
      req.on('error', (err) => { if (!ac.signal.aborted) reject(err); });
      req.end();
    });
    await gotOne;
    ac.abort();
    assert.equal(received.length, 1);
    const event = JSON.parse(received[0]) as RequestEventJson;
    assertValidEvent('request', event);
    assert.equal(event.data.path, '/live');
    assert.equal(await ssePublished(), before + 1);

    // After the disconnect, new events are no longer written anywhere.
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 3; i++) assert.equal((await get(rauta.httpPort, '/after', { host: 'web.test' })).status, 200);
    const all = await waitForEvents(rauta, 9);
    assert.equal(all.filter((e) => e.data.path === '/after').length, 3);
    assert.equal(await ssePublished(), before + 1);
  });
});

describe('telemetry - RAUTA_EVENT_INCLUDE_QUERY and ring size', () => {
  let web: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    web = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.4');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', web.port, [{ ip: '127.0.0.4', pod: 'web-0' }]),
    ]), { RAUTA_EVENT_INCLUDE_QUERY: 'true', RAUTA_RING_SIZE: '3' });
  });
  after(async () => {
    await rauta.stop();
    await web.close();
  });

  it('keeps the query when asked to, and only the newest RAUTA_RING_SIZE events', async () => {
    for (let i = 1; i <= 5; i++) assert.equal((await get(rauta.httpPort, `/q?n=${i}`, { host: 'web.test' })).status, 200);
    const deadline = Date.now() + 5000;
    let events: RequestEventJson[] = [];
    while (Date.now() < deadline) {
      events = validRequestEvents(JSON.parse((await get(rauta.adminPort, '/requests?format=json&limit=100')).body));
      if (events[0]?.data.path === '/q?n=5') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(events.map((e) => e.data.path), ['/q?n=5', '/q?n=4', '/q?n=3']);
  });
});
