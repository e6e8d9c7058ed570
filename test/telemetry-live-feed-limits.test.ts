import assert from 'node:assert/strict';
import { Agent, type IncomingMessage, request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { ingressClass, toYaml } from './support/manifests.ts';
import { scrape } from './support/prometheus-text.ts';

const BUFFER = 64 * 1024;

async function metric(rauta: RunningRauta, name: string): Promise<number> {
  const v = await scrape(rauta.adminPort, name);
  assert.ok(v !== undefined, `${name} is exported`);
  return v;
}

/** Opens the feed over a raw socket and never reads from it again (the kernel buffers fill, then RAUTA's). */
function stalledClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port }, () => {
      sock.write('GET /requests/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      sock.once('data', (first: Buffer) => {
        sock.pause();
        if (/^HTTP\/1\.1 200 /.test(first.toString('latin1'))) resolve(sock);
        else reject(new Error(`feed refused: ${first.toString('latin1').split('\r\n')[0]}`));
      });
    });
    sock.on('error', () => {});
  });
}

/** A feed client that reads everything: resolves with the response once the status line is there. */
function openFeed(port: number, path = '/requests/stream'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

describe('telemetry - live feed limits', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(toYaml([ingressClass()]), { RAUTA_LIVE_FEED_MAX_CLIENTS: '12', RAUTA_LIVE_FEED_BUFFER_BYTES: String(BUFFER) });
  });
  after(async () => {
    await rauta.stop();
  });

  it('refuses clients beyond RAUTA_LIVE_FEED_MAX_CLIENTS with 503 and counts them; a freed place can be taken again', async () => {
    const open = await Promise.all(Array.from({ length: 12 }, () => openFeed(rauta.adminPort)));
    for (const res of open) assert.equal(res.statusCode, 200);
    assert.equal(await metric(rauta, 'rauta_live_feed_clients'), 12);
    const refused = await openFeed(rauta.adminPort);
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['retry-after'], '10');
    refused.resume();
    assert.equal(await metric(rauta, 'rauta_live_feed_rejected_clients_total'), 1);

    open[0].destroy();
    const deadline = Date.now() + 10_000;
    while ((await metric(rauta, 'rauta_live_feed_clients')) !== 11) {
      assert.ok(Date.now() < deadline, 'a disconnected feed client is forgotten');
      await new Promise((r) => setTimeout(r, 20));
    }
    const again = await openFeed(rauta.adminPort);
    assert.equal(again.statusCode, 200);
    again.destroy();
    for (const res of open) res.destroy();
    while ((await metric(rauta, 'rauta_live_feed_clients')) !== 0) {
      assert.ok(Date.now() < deadline, 'every feed client is forgotten');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('disconnects clients that do not read once they are RAUTA_LIVE_FEED_BUFFER_BYTES behind; a reading client keeps every event', async () => {
    const stalled = await Promise.all(Array.from({ length: 10 }, () => stalledClient(rauta.adminPort)));
    const closed = stalled.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    const reader = await openFeed(rauta.adminPort);
    assert.equal(reader.statusCode, 200);
    let frames = 0;
    let pending = '';
    reader.setEncoding('utf8');
    reader.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n\n');
      pending = parts.pop() ?? '';
      frames += parts.filter((p) => p.startsWith('data: ')).length;
    });
    const droppedBefore = await metric(rauta, 'rauta_live_feed_dropped_clients_total');

    // Events of ~8 KiB each (RAUTA's own 404s for a long path): a few MB fill the stalled sockets' kernel
    // buffers, then the feed's own. Bounded: at most 4,000 requests.
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const longPath = `/${'x'.repeat(8000)}`;
    const hit = () => new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, path: longPath, agent, headers: { host: 'nowhere.test' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 404 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
    let sent = 0;
    let maxBuffered = 0;
    try {
      while (sent < 4000) {
        await Promise.all(Array.from({ length: 20 }, hit));
        sent += 20;
        const clients = await metric(rauta, 'rauta_live_feed_clients');
        const buffered = await metric(rauta, 'rauta_live_feed_buffered_bytes');
        maxBuffered = Math.max(maxBuffered, buffered);
        // The feed's whole memory is bounded by its clients times the per-client buffer, at every moment.
        assert.ok(buffered <= clients * BUFFER, `${buffered} bytes buffered for ${clients} clients`);
        if ((await metric(rauta, 'rauta_live_feed_dropped_clients_total')) - droppedBefore === 10) break;
      }
    } finally {
      agent.destroy();
    }
    assert.equal(await metric(rauta, 'rauta_live_feed_dropped_clients_total') - droppedBefore, 10, `all stalled clients dropped after ${sent} requests (at most ${maxBuffered} bytes buffered)`);
    // The stalled sockets were closed by RAUTA: reading them now ends them.
    for (const s of stalled) s.resume();
    await Promise.all(closed);

    assert.equal(await metric(rauta, 'rauta_live_feed_clients'), 1, 'the reading client is still connected');
    const deadline = Date.now() + 10_000;
    while (frames < sent) {
      assert.ok(Date.now() < deadline, `the reading client got ${frames} of ${sent} events`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(frames, sent);
    reader.destroy();
  });
});
