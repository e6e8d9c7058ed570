import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, startBackend } from './support/backends.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/**
 * Bodies stream with back-pressure: 100 MB through RAUTA must not grow the process's memory by anything
 * near 100 MB. Client, RAUTA and backend share this process, so the bound covers all three.
 */
const SIZE = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MAX_GROWTH = 64 * 1024 * 1024;

function source(total: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(CHUNK, 'x');
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      this.push(n === CHUNK ? chunk : chunk.subarray(0, n));
    },
  });
}

/** Samples RSS while `work` runs; returns the largest growth over the starting value. */
async function rssGrowth(work: () => Promise<void>): Promise<number> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - base;
}

describe('proxy - streaming large bodies', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  before(async () => {
    backend = await startBackend('127.0.0.10', (req, res) => {
      const url = req.url ?? '';
      if (url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
        source(SIZE).pipe(res);
      } else if (url === '/echo') {
        // Streams the upload straight back: both directions at once, unknown length (chunked).
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        req.pipe(res);
      } else {
        let n = 0;
        req.on('data', (c: Buffer) => { n += c.length; });
        req.on('end', () => res.end(String(n)));
      }
    }, { streaming: true });
    rauta = await startStandalone(routeYaml('stream.test', [{ ip: backend.ip, port: backend.port }]));
    // Warm-up: the first transfers grow the heap and the buffer pools of client and server alike
    // (~45 MB even without a proxy in between); measure the steady state, where buffering would show.
    await transfer('POST', '/upload', source(16 * 1024 * 1024), { 'content-length': 16 * 1024 * 1024 });
    await transfer('GET', '/download', undefined);
  });
  after(async () => {
    await rauta.stop();
    await backend.close();
  });

  /** One request; counts response bytes without keeping them. */
  function transfer(method: string, path: string, body: Readable | undefined, headers: Record<string, string | number> = {}): Promise<{ status: number; bytes: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: rauta.httpPort, method, path, headers: { host: 'stream.test', ...headers }, agent: false }, (res) => {
        let bytes = 0;
        let text = '';
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (text.length < 100) text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body) body.pipe(req);
      else req.end();
    });
  }

  it('uploads 100 MB without buffering it', async (t) => {
    let result = { status: 0, bytes: 0, text: '' };
    const growth = await rssGrowth(async () => {
      result = await transfer('POST', '/upload', source(SIZE), { 'content-length': SIZE });
    });
    assert.equal(result.status, 200);
    assert.equal(result.text, String(SIZE));
    t.diagnostic(`RSS growth ${(growth / 1048576).toFixed(1)} MB`);
    assert.ok(growth < MAX_GROWTH, `RSS grew ${(growth / 1048576).toFixed(1)} MB`);
  });

  it('downloads 100 MB without buffering it', async (t) => {
    let result = { status: 0, bytes: 0, text: '' };
    const growth = await rssGrowth(async () => {
      result = await transfer('GET', '/download', undefined);
    });
    assert.equal(result.status, 200);
    assert.equal(result.bytes, SIZE);
    t.diagnostic(`RSS growth ${(growth / 1048576).toFixed(1)} MB`);
    assert.ok(growth < MAX_GROWTH, `RSS grew ${(growth / 1048576).toFixed(1)} MB`);
  });

  it('streams 100 MB up and the same 100 MB back at once (chunked both ways)', async (t) => {
    let result = { status: 0, bytes: 0, text: '' };
    const growth = await rssGrowth(async () => {
      result = await transfer('PUT', '/echo', source(SIZE));
    });
    assert.equal(result.status, 200);
    assert.equal(result.bytes, SIZE);
    t.diagnostic(`RSS growth ${(growth / 1048576).toFixed(1)} MB`);
    assert.ok(growth < MAX_GROWTH, `RSS grew ${(growth / 1048576).toFixed(1)} MB`);
  });
});
