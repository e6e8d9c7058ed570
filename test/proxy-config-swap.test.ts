import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/**
 * Route-table swaps under continuous load: the manifest is rewritten (in place and by rename) again and
 * again while keep-alive clients send a bounded stream of requests. No request may fail, and no client
 * connection may be closed by a swap.
 */
const REQUESTS = 2000;
const CLIENTS = 8;

describe('proxy - config swap under load', () => {
  const pods: EchoServer[] = [];
  let rauta: RunningRauta;
  let yamlA: string;
  let yamlB: string;
  before(async () => {
    for (const [i, ip] of ['127.0.0.11', '127.0.0.12'].entries()) {
      pods.push(await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: `web-v${i + 1}` }, ip));
    }
    // Two different, valid tables: A sends traffic to v1, B to v2.
    yamlA = routeYaml('swap.test', [{ ip: pods[0].host, port: pods[0].port, pod: 'web-v1' }]);
    yamlB = routeYaml('swap.test', [{ ip: pods[1].host, port: pods[1].port, pod: 'web-v2' }]);
    rauta = await startStandalone(yamlA);
  });
  after(async () => {
    await rauta.stop();
    await Promise.all(pods.map((p) => p.close()));
  });

  it(`${REQUESTS} keep-alive requests while the manifest keeps changing: zero failures, no connection closed`, async (t) => {
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const sockets = new Set<Socket>();
    let closedSockets = 0;
    const failures: string[] = [];
    const servedBy = new Map<string, number>();
    let swaps = 0;
    let done = false;

    const one = () => new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, path: '/x', headers: { host: 'swap.test' }, agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => {
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}: ${body.slice(0, 120)}`);
          else {
            const pod = (JSON.parse(body) as { pod: string }).pod;
            servedBy.set(pod, (servedBy.get(pod) ?? 0) + 1);
          }
          resolve();
        });
      });
      req.on('socket', (s: Socket) => {
        if (sockets.has(s)) return;
        sockets.add(s);
        s.on('close', () => { if (!done) closedSockets++; });
      });
      req.on('error', (err) => {
        failures.push(`error ${err.message}`);
        resolve();
      });
      req.end();
    });

    // Rewrites alternate between an in-place write and an atomic rename; each waits until the new table
    // is live (so every rewrite is a real swap under load), then the next follows 10 ms later.
    const swapper = (async () => {
      let i = 0;
      while (!done) {
        const next = i % 2 === 0 ? yamlB : yamlA;
        const live = rauta.reconciler.current;
        if (i % 4 < 2) await writeFile(rauta.manifestPath, next);
        else {
          const tmp = `${rauta.manifestPath}.tmp`;
          await writeFile(tmp, next);
          await rename(tmp, rauta.manifestPath);
        }
        i++;
        const deadline = Date.now() + 3000;
        while (!done && rauta.reconciler.current === live && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        if (rauta.reconciler.current !== live) swaps++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const tablesBefore = rauta.reconciler.current;
    let sent = 0;
    const deadline = Date.now() + 60_000;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (sent < REQUESTS && Date.now() < deadline) {
        sent++;
        await one();
      }
    }));
    done = true;
    await swapper;
    agent.destroy();

    t.diagnostic(`requests ${sent}, table swaps ${swaps}, connections ${sockets.size}, served by ${JSON.stringify(Object.fromEntries(servedBy))}`);
    assert.equal(sent, REQUESTS, 'the load did not finish within 60 s');
    assert.deepEqual(failures.slice(0, 5), []);
    assert.notEqual(rauta.reconciler.current, tablesBefore, 'no table was swapped in');
    assert.ok(swaps >= 4, `only ${swaps} table swaps happened during the load`);
    assert.equal(servedBy.size, 2, 'both tables served traffic');
    assert.equal(closedSockets, 0, 'a client connection was closed during the load');
    assert.ok(sockets.size <= CLIENTS, `${sockets.size} connections for ${CLIENTS} clients: some were reopened`);
  });
});
