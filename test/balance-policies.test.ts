import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { echoHandler } from '../src/demo/echo-server.ts';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { Pods, hit, load, tally } from './support/pods.ts';

const ips = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}.${i + 1}`);

describe('balance - each policy over real backends', () => {
  let web: Pods;
  let slow: Pods;
  let rauta: RunningRauta;

  before(async () => {
    web = await Pods.start('web', ips('127.0.5', 10));
    // least-request: pod 0 takes 150 ms per request, the others answer at once.
    slow = await Pods.start('slow', ips('127.0.6', 3), (spec) => {
      const echo = echoHandler({ namespace: 'default', ingress: 'slow', service: 'slow', pod: spec.pod });
      return spec.pod === 'slow-0' ? (req, res) => setTimeout(() => echo(req, res), 150) : echo;
    });
    const at = (name: string, host: string, svc: string, annotations?: Record<string, string>) =>
      ingress(name, { annotations, rules: [{ host, paths: [{ path: '/', service: svc }] }] });
    rauta = await startStandalone(toYaml([
      ingressClass(),
      at('rr', 'rr.test', 'web'),
      at('lr', 'lr.test', 'slow', { 'rauta.io/load-balance': 'least-request' }),
      at('lr-rr', 'lr-rr.test', 'slow'),
      at('mg-ip', 'mg-ip.test', 'web', { 'rauta.io/load-balance': 'maglev' }),
      at('mg-header', 'mg-header.test', 'web', { 'rauta.io/hash-by': 'header:X-User' }),
      at('mg-cookie', 'mg-cookie.test', 'web', { 'rauta.io/hash-by': 'cookie:sid' }),
      at('mg-path', 'mg-path.test', 'web', { 'rauta.io/hash-by': 'path' }),
      at('typo', 'typo.test', 'web', { 'rauta.io/load-balance': 'fastest', 'rauta.io/hash-by': 'header:' }),
      service('web'),
      service('slow'),
      endpointSlice('web', web.port, web.endpoints),
      endpointSlice('slow', slow.port, slow.endpoints),
    ]));
  });
  after(async () => {
    await rauta?.stop();
    await web?.close();
    await slow?.close();
  });

  it('conformance load_balancing: 100 requests over fresh connections from one client reach all 10 pods', async () => {
    const replies = await load(100, 1, () => hit(rauta.httpPort, '/', { host: 'rr.test' }));
    assert.ok(replies.every((r) => r.status === 200));
    assert.equal(tally(replies).size, 10);
  });

  it('round robin spreads evenly: 200 requests → 20 per pod', async () => {
    const replies = await load(200, 4, () => hit(rauta.httpPort, '/', { host: 'rr.test' }));
    assert.deepEqual([...tally(replies).values()].sort(), Array(10).fill(20));
  });

  it('least-request sends fewer requests to the slow pod than round robin does', async () => {
    const lr = tally(await load(90, 6, () => hit(rauta.httpPort, '/', { host: 'lr.test' })));
    const rr = tally(await load(90, 6, () => hit(rauta.httpPort, '/', { host: 'lr-rr.test' })));
    process.stdout.write(`# least-request: slow pod got ${lr.get('slow-0') ?? 0} of 90 (round robin: ${rr.get('slow-0')})\n`);
    assert.equal(rr.get('slow-0'), 30);
    assert.ok((lr.get('slow-0') ?? 0) <= 12, `least-request sent ${lr.get('slow-0')} of 90 to the slow pod`);
    assert.equal([...lr.values()].reduce((a, b) => a + b, 0), 90);
  });

  it('maglev by client IP: each client sticks to one pod, clients spread', async () => {
    const pods = new Set<string>();
    for (let c = 1; c <= 12; c++) {
      const from = `127.0.7.${c}`;
      const replies = await load(8, 2, () => hit(rauta.httpPort, `/any/${c}`, { host: 'mg-ip.test' }, from));
      const t = tally(replies);
      assert.equal(t.size, 1, `client ${from} reached ${[...t.keys()]}`);
      pods.add([...t.keys()][0]);
    }
    assert.ok(pods.size >= 4, `12 clients reached only ${pods.size} pods`);
  });

  for (const kind of ['header', 'cookie', 'path'] as const) {
    it(`maglev hash-by ${kind}: each key sticks to one pod across clients, keys spread`, async () => {
      const pods = new Set<string>();
      for (let k = 0; k < 12; k++) {
        const key = `key-${k}`;
        const headers: Record<string, string> = { host: `mg-${kind}.test` };
        if (kind === 'header') headers['x-user'] = key;
        if (kind === 'cookie') headers.cookie = `theme=dark; sid=${key}`;
        const path = kind === 'path' ? `/p/${key}` : '/';
        const replies = await load(6, 2, (i) => hit(rauta.httpPort, path, headers, `127.0.7.${i + 1}`));
        const t = tally(replies);
        assert.equal(t.size, 1, `key ${key} reached ${[...t.keys()]}`);
        pods.add([...t.keys()][0]);
      }
      assert.ok(pods.size >= 4, `12 keys reached only ${pods.size} pods`);
    });
  }

  it('invalid annotations are diagnostics and the route falls back to round robin', async () => {
    const routes = await getJson<{ diagnostics: { ingress?: string; reason: string; message: string }[]; routes: { ingress: string; policy: { load_balance: string } }[] }>(rauta.adminPort, '/routes');
    const typo = routes.json.diagnostics.filter((d) => d.ingress === 'default/typo');
    assert.deepEqual(typo.map((d) => d.reason), ['InvalidAnnotation', 'InvalidAnnotation']);
    assert.match(typo[0].message, /rauta\.io\/load-balance: "fastest"/);
    assert.equal(routes.json.routes.find((r) => r.ingress === 'default/typo')?.policy.load_balance, 'round-robin');
    const replies = await load(50, 1, () => hit(rauta.httpPort, '/', { host: 'typo.test' }));
    assert.deepEqual([...tally(replies).values()], Array(10).fill(5));
  });
});
