import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function slowBackend(ip: string, delayMs: number): Promise<TestBackend> {
  return startBackend(ip, (_req, res) => {
    const t = setTimeout(() => res.end('finally'), delayMs);
    res.on('close', () => clearTimeout(t));
  });
}

describe('proxy - graceful shutdown', () => {
  it('a slow request in flight completes; /readyz is 503 and new connections are refused meanwhile', async () => {
    const backend = await slowBackend('127.0.0.15', 800);
    const rauta = await startStandalone(routeYaml('slow.test', [{ ip: backend.ip, port: backend.port }]), { RAUTA_SHUTDOWN_GRACE_SECONDS: '10' });
    try {
      assert.equal((await get(rauta.adminPort, '/readyz')).status, 200);
      const inFlight = get(rauta.httpPort, '/', { host: 'slow.test' });
      await new Promise((r) => setTimeout(r, 150));
      const started = Date.now();
      const stopping = rauta.shutdown();

      const readyz = await get(rauta.adminPort, '/readyz');
      assert.equal(readyz.status, 503);
      assert.equal(await canConnect(rauta.httpPort), false, 'new connections must be refused while draining');

      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'finally');
      await stopping;
      const took = Date.now() - started;
      assert.ok(took < 5000, `shutdown took ${took} ms with a 10 s grace period and a 0.8 s request`);
    } finally {
      await rauta.stop();
      await backend.close();
    }
  });

  it('requests still running when the grace period ends are cut, and shutdown ends on time', async () => {
    const backend = await slowBackend('127.0.0.16', 10_000);
    const rauta = await startStandalone(routeYaml('slow.test', [{ ip: backend.ip, port: backend.port }]), { RAUTA_SHUTDOWN_GRACE_SECONDS: '0.5' });
    try {
      const inFlight = get(rauta.httpPort, '/', { host: 'slow.test' }).then((r) => r.status, (err: Error) => err.message);
      await new Promise((r) => setTimeout(r, 150));
      const started = Date.now();
      await rauta.shutdown();
      const took = Date.now() - started;
      assert.ok(took >= 400 && took < 3000, `shutdown took ${took} ms with a 0.5 s grace period`);
      assert.match(String(await inFlight), /socket hang up|ECONNRESET/);
    } finally {
      await rauta.stop();
      await backend.close();
    }
  });
});
