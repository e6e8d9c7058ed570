import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type TestBackend, startBackend } from './support/backends.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/**
 * Bodies stream with back-pressure: 100 MB through RAUTA must not grow the process's memory by anything
 * near 100 MB. Client, RAUTA and backend share this process, so the bound covers all three; a proxy that
 * buffered the body would hold at least 100 MB live.
 */
const SIZE = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
/** Live memory must stay far below the body size; RSS gets more room for allocator slack. */
const MAX_LIVE_GROWTH = 64 * 1024 * 1024;
const MAX_RSS_GROWTH = 128 * 1024 * 1024;

/**
 * A body of `total` bytes made on demand. `onTenth` runs each time another tenth has been produced:
 * the tests sample memory there, so a buffering proxy is caught mid-transfer however fast it runs.
 */
function source(total: number, onTenth: () => void = () => {}): Readable {
  let sent = 0;
  let tenths = 0;
  const chunk = Buffer.alloc(CHUNK, 'x');
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      while (tenths < 10 && sent >= ((tenths + 1) * total) / 10) {
        tenths++;
        onTenth();
      }
      this.push(n === CHUNK ? chunk : chunk.subarray(0, n));
    },
  });
}

// Forced collections while sampling: what is measured is memory still held, not garbage that a lazy
// collector has not freed yet (which made plain RSS sampling swing by tens of MB between runs).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Runs `work`, which calls `sample` as the body moves (each tenth of it); returns the peak growth of
 * live memory (heap + buffers, after a GC) and of RSS over the starting values.
 */
async function memoryGrowth(work: (sample: () => void) => Promise<void>): Promise<{ live: number; rss: number }> {
  gc();
  const live = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = { live: live(), rss: process.memoryUsage.rss() };
  const peak = { ...base };
  const sample = () => {
    // Twice: V8 frees dead buffers' memory on a background sweeper, so right after one collection
    // `arrayBuffers` still counts garbage (tens of MB on a busy machine); the second waits for it.
    gc();
    gc();
    peak.live = Math.max(peak.live, live());
    peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
  };
  await work(sample);
  sample();
  return { live: peak.live - base.live, rss: peak.rss - base.rss };
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

describe('proxy - streaming large bodies', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  /** The download test samples memory as the backend produces the body. */
  let onDownloadTenth = () => {};
  before(async () => {
    backend = await startBackend('127.0.0.10', (req, res) => {
      const url = req.url ?? '';
      if (url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
        source(SIZE, () => onDownloadTenth()).pipe(res);
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
    const growth = await memoryGrowth(async (sample) => {
      result = await transfer('POST', '/upload', source(SIZE, sample), { 'content-length': SIZE });
    });
    assert.equal(result.status, 200);
    assert.equal(result.text, String(SIZE));
    t.diagnostic(`growth: live ${mb(growth.live)}, RSS ${mb(growth.rss)}`);
    assert.ok(growth.live < MAX_LIVE_GROWTH, `live memory grew ${mb(growth.live)}`);
    assert.ok(growth.rss < MAX_RSS_GROWTH, `RSS grew ${mb(growth.rss)}`);
  });

  it('downloads 100 MB without buffering it', async (t) => {
    let result = { status: 0, bytes: 0, text: '' };
    const growth = await memoryGrowth(async (sample) => {
      onDownloadTenth = sample;
      try {
        result = await transfer('GET', '/download', undefined);
      } finally {
        onDownloadTenth = () => {};
      }
    });
    assert.equal(result.status, 200);
    assert.equal(result.bytes, SIZE);
    t.diagnostic(`growth: live ${mb(growth.live)}, RSS ${mb(growth.rss)}`);
    assert.ok(growth.live < MAX_LIVE_GROWTH, `live memory grew ${mb(growth.live)}`);
    assert.ok(growth.rss < MAX_RSS_GROWTH, `RSS grew ${mb(growth.rss)}`);
  });

  it('streams 100 MB up and the same 100 MB back at once (chunked both ways)', async (t) => {
    let result = { status: 0, bytes: 0, text: '' };
    const growth = await memoryGrowth(async (sample) => {
      result = await transfer('PUT', '/echo', source(SIZE, sample));
    });
    assert.equal(result.status, 200);
    assert.equal(result.bytes, SIZE);
    t.diagnostic(`growth: live ${mb(growth.live)}, RSS ${mb(growth.rss)}`);
    assert.ok(growth.live < MAX_LIVE_GROWTH, `live memory grew ${mb(growth.live)}`);
    assert.ok(growth.rss < MAX_RSS_GROWTH, `RSS grew ${mb(growth.rss)}`);
  });
});
