import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/** Writes `count` pipelined GETs on one connection; resolves with the statuses in the order they came. */
function pipeline(port: number, count: number, host: string, tls = false, waitMs = 20_000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tls ? tlsConnect({ port, host: '127.0.0.1', servername: host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }) : connect(port, '127.0.0.1');
    // Parsed as it arrives (scanning the whole answer on every read would be quadratic).
    let tail = '';
    const statuses: number[] = [];
    const order: number[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (d) => {
      const text = tail + d.toString('latin1');
      const cut = text.lastIndexOf('\n');
      tail = text.slice(cut + 1);
      for (const m of text.slice(0, cut + 1).matchAll(/HTTP\/1\.1 (\d{3})|seq=(\d+)/g)) {
        if (m[1] !== undefined) statuses.push(Number(m[1]));
        else order.push(Number(m[2]));
      }
      if (order.length >= count) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1] + 1) reject(new Error(`responses out of order at ${i}: ${order[i - 1]} then ${order[i]}`));
      resolve(statuses);
    });
    let raw = '';
    for (let i = 0; i < count; i++) raw += `GET /p?seq=${i} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
    socket.write(raw);
  });
}

describe('proxy - pipelined requests are served one at a time, in order', () => {
  let rauta: RunningRauta;
  let backend: ReturnType<typeof createServer>;
  let connections = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  before(async () => {
    backend = createServer((req, res) => {
      if (req.url?.startsWith('/wait')) return void setTimeout(() => res.end('late'), 500);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      setImmediate(() => {
        concurrent--;
        res.end(`seq=${new URL(req.url ?? '/', 'http://x').searchParams.get('seq')}\n`);
      });
    });
    backend.on('connection', () => { connections++; });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.51', () => r()));
    rauta = await startStandalone(routeYaml('pipe.test', [{ ip: '127.0.0.51', port: (backend.address() as AddressInfo).port }]));
  });
  after(async () => {
    await rauta.stop();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  it('2,000 pipelined requests on one connection use one backend connection at a time', async () => {
    const statuses = await pipeline(rauta.httpPort, 2000, 'pipe.test');
    console.log(`# 2,000 pipelined requests: ${connections} backend connection(s), at most ${maxConcurrent} at once`);
    assert.equal(statuses.length, 2000);
    assert.ok(statuses.every((s) => s === 200));
    assert.equal(maxConcurrent, 1, `backend saw ${maxConcurrent} requests at once`);
    assert.ok(connections <= 2, `backend connections opened: ${connections}`);
  });

  it('the same over TLS (HTTP/1.1 by ALPN)', async () => {
    const before = connections;
    const statuses = await pipeline(rauta.httpsPort, 2000, 'pipe.test', true);
    assert.equal(statuses.length, 2000);
    assert.ok(statuses.every((s) => s === 200));
    assert.equal(maxConcurrent, 1, `backend saw ${maxConcurrent} requests at once`);
    assert.ok(connections - before <= 2, `backend connections opened: ${connections - before}`);
  });

  it('requests still waiting when the client leaves get an event each (client aborted)', async () => {
    const socket = connect(rauta.httpPort, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    let raw = '';
    for (let i = 0; i < 5; i++) raw += `GET /wait${i} HTTP/1.1\r\nHost: pipe.test\r\n\r\n`;
    socket.write(raw);
    await new Promise((r) => setTimeout(r, 150));
    socket.destroy();
    let mine: { data: { path: string }; error?: { code: string } }[] = [];
    for (let i = 0; i < 100; i++) {
      const { json } = await getJson<typeof mine>(rauta.adminPort, '/requests?format=json');
      mine = json.filter((e) => e.data.path.startsWith('/wait'));
      if (mine.length >= 5) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.deepEqual(mine.map((e) => e.data.path).sort(), ['/wait0', '/wait1', '/wait2', '/wait3', '/wait4']);
    assert.ok(mine.every((e) => e.error?.code === 'RAUTA_ERR_CLIENT_ABORTED'), JSON.stringify(mine.map((e) => e.error)));
  });
});
