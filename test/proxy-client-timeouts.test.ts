import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type Http2Server, createServer as createH2cServer } from 'node:http2';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/** Connects, writes `first`, then runs `then` with the socket; resolves with what came back once it closed. */
function session(port: number, first: string, then: (s: Socket) => void = () => {}, waitMs = 8000): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => s.destroy(), waitMs);
    s.on('data', (d) => { answer += d.toString('latin1'); });
    s.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'ECONNRESET') reject(err); });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    s.write(first);
    then(s);
  });
}

describe('proxy - client timeouts: request body, response write, TLS handshake', () => {
  let rauta: RunningRauta;
  let backend: ReturnType<typeof createServer>;
  const backendClosed: string[] = [];
  before(async () => {
    backend = createServer((req, res) => {
      if (req.url === '/big') {
        // Streams until the client side stops taking bytes; records whether the response was cut.
        res.once('close', () => { if (!res.writableFinished) backendClosed.push('big'); });
        const chunk = Buffer.alloc(256 * 1024, 97);
        let sent = 0;
        const pump = () => {
          while (sent < 256 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).length} bytes`));
      req.on('aborted', () => backendClosed.push(req.url ?? ''));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.52', () => r()));
    rauta = await startStandalone(routeYaml('slow.test', [{ ip: '127.0.0.52', port: (backend.address() as AddressInfo).port }]), {
      RAUTA_CLIENT_BODY_TIMEOUT_SECONDS: '0.5',
      RAUTA_CLIENT_BODY_MIN_BYTES_PER_SECOND: '10',
      RAUTA_CLIENT_WRITE_TIMEOUT_SECONDS: '0.5',
      RAUTA_TLS_HANDSHAKE_TIMEOUT_SECONDS: '0.5',
    });
  });
  after(async () => {
    await rauta.stop();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  it('a body that stops arriving gets 408 and the backend request is cut', async () => {
    const { answer, closedAfterMs } = await session(rauta.httpPort, 'POST /trickle HTTP/1.1\r\nHost: slow.test\r\nContent-Length: 10\r\n\r\nab');
    assert.match(answer, /^HTTP\/1\.1 408 /, answer);
    assert.match(answer, /RAUTA_ERR_CLIENT_TIMEOUT/);
    assert.match(answer, /connection: close/i);
    assert.ok(closedAfterMs < 5000, `closed after ${closedAfterMs}ms`);
    for (let i = 0; i < 100 && !backendClosed.includes('/trickle'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(backendClosed.includes('/trickle'), 'the backend saw its request aborted');
    const { json } = await getJson<{ data: { path: string; status_code: number }; error?: { code: string } }[]>(rauta.adminPort, '/requests?format=json');
    const ev = json.find((e) => e.data.path === '/trickle');
    assert.equal(ev?.error?.code, 'RAUTA_ERR_CLIENT_TIMEOUT');
  });

  it('a body trickled faster than the timeout is forwarded whole', async () => {
    const { answer } = await session(rauta.httpPort, 'POST /steady HTTP/1.1\r\nHost: slow.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\n', (s) => {
      let i = 0;
      const t = setInterval(() => {
        s.write('x');
        if (++i === 5) clearInterval(t);
      }, 50);
    });
    assert.match(answer, /^HTTP\/1\.1 200 /, answer);
    assert.match(answer, /got 5 bytes$/);
  });

  it('a body trickled below the minimum rate is cut even though it never pauses long (slow POST)', async () => {
    let timer: NodeJS.Timeout | undefined;
    const { answer, closedAfterMs } = await session(rauta.httpPort, 'POST /slowpost HTTP/1.1\r\nHost: slow.test\r\nContent-Length: 1000\r\n\r\n', (s) => {
      // One byte every 300 ms: below 10 bytes/s, and never a pause of 0.5 s.
      timer = setInterval(() => { if (!s.destroyed) s.write('x'); }, 300);
    });
    clearInterval(timer);
    assert.match(answer, /^HTTP\/1\.1 408 /, answer);
    assert.ok(closedAfterMs < 5000, `closed after ${closedAfterMs}ms`);
    const { json } = await getJson<{ data: { path: string }; error?: { code: string; message: string } }[]>(rauta.adminPort, '/requests?format=json');
    assert.match(json.find((e) => e.data.path === '/slowpost')?.error?.message ?? '', /less than 10 bytes\/s/);
  });

  it('a client that stops reading the response is cut off, and the backend connection is released', async () => {
    // The client stops reading for 3 s (a paused socket would not even notice being closed), then drains.
    const { answer, closedAfterMs } = await session(rauta.httpPort, 'GET /big HTTP/1.1\r\nHost: slow.test\r\n\r\n', (s) => {
      s.pause();
      setTimeout(() => s.resume(), 3000);
    }, 20_000);
    assert.ok(closedAfterMs < 15_000, `closed after ${closedAfterMs}ms`);
    assert.ok(answer.length < 256 * 1024 * 1024, 'the response was cut short');
    assert.ok(backendClosed.includes('big'), 'the backend response was cut');
    const { json } = await getJson<{ data: { path: string }; error?: { code: string; message: string } }[]>(rauta.adminPort, '/requests?format=json');
    const ev = json.find((e) => e.data.path === '/big');
    assert.equal(ev?.error?.code, 'RAUTA_ERR_CLIENT_TIMEOUT');
    assert.match(ev?.error?.message ?? '', /did not read the response/);
  });

  it('a TLS client that never completes its handshake is closed after the handshake timeout', async () => {
    const { closedAfterMs } = await session(rauta.httpsPort, '', () => {}, 10_000);
    assert.ok(closedAfterMs < 5000, `closed after ${closedAfterMs}ms`);
  });
});

describe('proxy - write timeout towards an h2c backend', () => {
  let rauta: RunningRauta;
  let backend: Http2Server;
  let cut = false;
  before(async () => {
    backend = createH2cServer((_req, res) => {
      res.once('close', () => { if (!res.writableFinished) cut = true; });
      const chunk = Buffer.alloc(64 * 1024, 98);
      let sent = 0;
      const pump = () => {
        while (sent < 256 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.55', () => r()));
    rauta = await startStandalone(routeYaml('h2slow.test', [{ ip: '127.0.0.55', port: (backend.address() as AddressInfo).port }], {
      annotations: { 'rauta.io/backend-protocol': 'h2c' },
    }), { RAUTA_CLIENT_WRITE_TIMEOUT_SECONDS: '0.5' });
  });
  after(async () => {
    await rauta.stop();
    await new Promise((r) => backend.close(r));
  });

  it('a client that stops reading is cut off and the backend stream cancelled', async () => {
    const { answer } = await session(rauta.httpPort, 'GET /big HTTP/1.1\r\nHost: h2slow.test\r\n\r\n', (s) => {
      s.pause();
      setTimeout(() => s.resume(), 3000);
    }, 20_000);
    assert.ok(answer.length < 256 * 1024 * 1024, 'the response was cut short');
    for (let i = 0; i < 100 && !cut; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(cut, 'the backend stream was cancelled');
  });
});
