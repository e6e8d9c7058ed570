import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

const INGRESSES = 3000;

function baseObjects(port: number) {
  return [
    ingressClass(),
    ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
    service('web'),
    endpointSlice('web', port, [{ ip: '127.0.0.5', pod: 'web-0' }]),
  ];
}

/** Thousands of Ingresses (megabytes of YAML): seconds of parsing. */
function largeManifest(port: number, marker: string): string {
  const many = Array.from({ length: INGRESSES }, (_, i) => ingress(`bulk-${i}`, {
    rules: [{ host: `bulk-${i}.test`, paths: [{ path: `/a/${i}`, service: 'web' }, { path: `/b/${i}`, pathType: 'Exact', service: 'web' }] }],
  }));
  return toYaml([...baseObjects(port), ingress('marker', { rules: [{ host: `${marker}.test`, paths: [{ path: '/', service: 'web' }] }] }), ...many]);
}

describe('file source - large manifests are parsed off the event loop', () => {
  let web: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    web = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.5');
    rauta = await startStandalone(toYaml(baseObjects(web.port)), { RAUTA_CONFIG_DEBOUNCE_MS: '0', RAUTA_CONFIG_MAX_DEBOUNCE_MS: '0' });
  });
  after(async () => {
    await rauta?.stop();
    await web?.close();
  });

  /**
   * Sends requests, four at a time, until the route table changes (bounded: 120 s and 50,000 requests).
   * Returns how many succeeded before the new table went live, and every failure.
   */
  async function serveUntilSwap(change: () => Promise<void>): Promise<{ servedBeforeSwap: number; failures: string[] }> {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const before = rauta.routes.table;
    const failures: string[] = [];
    let servedBeforeSwap = 0;
    let sent = 0;
    const deadline = Date.now() + 120_000;
    const one = () => new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, path: '/ping', agent, headers: { host: 'web.test' } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
          else if (rauta.routes.table === before) servedBeforeSwap++;
          resolve();
        });
      });
      req.on('error', (err) => {
        failures.push(err.message);
        resolve();
      });
      req.end();
    });
    const worker = async () => {
      while (rauta.routes.table === before && Date.now() < deadline && sent < 50_000) {
        sent++;
        await one();
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await change();
    await Promise.all(workers);
    agent.destroy();
    assert.notEqual(rauta.routes.table, before, 'the new table went live within 120 s');
    return { servedBeforeSwap, failures };
  }

  it('keeps serving while thousands of Ingresses are parsed, then serves the new routes', async () => {
    const { servedBeforeSwap, failures } = await serveUntilSwap(() => writeFile(rauta.manifestPath, largeManifest(web.port, 'first')));
    assert.deepEqual(failures, []);
    // On the event loop, a parse of seconds would let next to nothing through before the swap.
    assert.ok(servedBeforeSwap >= 100, `only ${servedBeforeSwap} requests were served while the manifest was parsed`);
    assert.ok(rauta.routes.table.hasHost('first.test'));
    assert.ok(rauta.routes.table.hasHost(`bulk-${INGRESSES - 1}.test`));
  });

  it('a one-line edit of the large file applies, and requests keep succeeding throughout', async () => {
    const { failures } = await serveUntilSwap(() => writeFile(rauta.manifestPath, largeManifest(web.port, 'second')));
    assert.deepEqual(failures, []);
    assert.ok(rauta.routes.table.hasHost('second.test'));
    assert.ok(!rauta.routes.table.hasHost('first.test'));
  });

  it('a half-written, invalid large file never replaces the good routes', async () => {
    const good = rauta.routes.table;
    const text = largeManifest(web.port, 'third');
    // Cut inside a flow mapping: not YAML. The stamp stays stable, so this is read and must be rejected.
    await writeFile(rauta.manifestPath, `${text.slice(0, Math.floor(text.length / 2))}\n---\nkind: {unclosed\n`);
    const deadline = Date.now() + 60_000;
    let rejected = false;
    while (Date.now() < deadline && !rejected) {
      const metrics = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port: rauta.adminPort, path: '/metrics' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => { body += c; });
          res.on('end', () => resolve(body));
        }).on('error', reject).end();
      });
      rejected = /^rauta_config_reloads_total\{result="failure"\} [1-9]/m.test(metrics);
      if (!rejected) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(rejected, 'the invalid file was read and rejected');
    assert.equal(rauta.routes.table, good);
    assert.ok(rauta.routes.table.hasHost('second.test'));
  });
});
