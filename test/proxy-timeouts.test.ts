import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

describe('proxy - idle timeouts of client and backend connections', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  const backendSockets: { opened: number; closedAt?: number }[] = [];
  before(async () => {
    backend = await startBackend('127.0.0.20', (_req, res) => res.end('ok'));
    backend.server.keepAliveTimeout = 30_000; // the backend would keep it: RAUTA must be the one closing
    backend.server.on('connection', (s: Socket) => {
      const entry: { opened: number; closedAt?: number } = { opened: Date.now() };
      backendSockets.push(entry);
      s.on('close', () => { entry.closedAt = Date.now(); });
    });
    rauta = await startStandalone(routeYaml('idle.test', [{ ip: backend.ip, port: backend.port }]), {
      RAUTA_CLIENT_IDLE_TIMEOUT_SECONDS: '0.5',
      RAUTA_UPSTREAM_IDLE_TIMEOUT_SECONDS: '0.3',
    });
  });
  after(async () => {
    await rauta.stop();
    await backend.close();
  });

  it('an idle client keep-alive connection is closed after RAUTA_CLIENT_IDLE_TIMEOUT_SECONDS', async () => {
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const socket = connect(rauta.httpPort, '127.0.0.1');
      let answeredAt = 0;
      socket.on('data', () => { answeredAt ||= Date.now(); });
      socket.on('close', () => resolve(Date.now() - answeredAt));
      socket.on('error', reject);
      socket.write('GET / HTTP/1.1\r\nHost: idle.test\r\n\r\n');
      setTimeout(() => socket.destroy(), 5000);
    });
    assert.ok(closedAfter >= 400 && closedAfter < 3000, `closed ${closedAfter} ms after the response`);
  });

  it('a pooled backend connection is closed by RAUTA after RAUTA_UPSTREAM_IDLE_TIMEOUT_SECONDS', async () => {
    const before = backendSockets.length;
    assert.equal((await get(rauta.httpPort, '/', { host: 'idle.test' })).status, 200);
    const mine = backendSockets.slice(before);
    assert.ok(mine.length >= 1);
    const deadline = Date.now() + 3000;
    while (mine.some((s) => s.closedAt === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of mine) {
      assert.ok(s.closedAt !== undefined, 'the pooled connection was never closed');
      assert.ok(s.closedAt - s.opened < 2500, `closed after ${s.closedAt - s.opened} ms`);
    }
  });
});
