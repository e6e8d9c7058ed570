import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { describe, it } from 'node:test';
import { ErrorKinds } from '../src/proxy/errors.ts';
import { type AttemptResult, forwardAttempt } from '../src/proxy/forward.ts';
import type { Endpoint } from '../src/routing/types.ts';
import { createUpstreamClient } from '../src/proxy/upstream-client.ts';
import { startRawBackend } from './support/backends.ts';
import { startBlackhole } from './support/blackhole.ts';

/**
 * forwardAttempt on its own: the cases a loopback backend cannot produce through the whole proxy
 * (a connect that never completes) and the exact outcome of an upstream dying mid-body.
 */
function endpoint(ip: string, port: number): Endpoint {
  return { key: `${ip}:${port}`, ip, port, ready: true, serving: true, terminating: false, weight: 1 };
}

/** A front server that forwards every request with `opts` and hands the result to the test. */
async function front(dispatcher: Dispatcher, ep: Endpoint, opts: { connectTimeoutMs: number; responseTimeoutMs: number }) {
  const results: AttemptResult[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void forwardAttempt({
      endpoint: ep, req, res, headers: ['host', 'x'], dispatcher, hasBody: false, requestId: 'test',
      connectTimeoutMs: opts.connectTimeoutMs, responseTimeoutMs: opts.responseTimeoutMs,
      onBytesOut: () => {},
    }).then((r) => {
      results.push(r);
      if (r.error && !res.headersSent) {
        res.statusCode = r.error.kind.status;
        res.end(r.error.kind.code);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, results };
}

function fetchOnce(port: number): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    req.end();
  });
}

describe('proxy - one forward attempt', () => {
  it('a connect that never completes fails with RAUTA_ERR_UPSTREAM_CONNECT_TIMEOUT after the connect timeout', async () => {
    const hole = await startBlackhole();
    const client = createUpstreamClient({ connectTimeoutMs: 200, idleTimeoutMs: 1000 });
    const f = await front(client, endpoint(hole.host, hole.port), { connectTimeoutMs: 200, responseTimeoutMs: 10_000 });
    try {
      const started = performance.now();
      const res = await fetchOnce(f.port);
      const took = performance.now() - started;
      assert.deepEqual(res, { status: 504, body: 'RAUTA_ERR_UPSTREAM_CONNECT_TIMEOUT' });
      assert.ok(took >= 180 && took < 2000, `took ${took} ms`);
      assert.equal(f.results[0].error?.kind, ErrorKinds.upstreamConnectTimeout);
      assert.equal(f.results[0].error?.kind.retryable, true);
    } finally {
      await client.close().catch(() => {});
      f.server.closeAllConnections();
      f.server.close();
      await hole.close();
    }
  });

  it('an upstream that dies mid-body: the client connection is cut (never a short "complete" body)', async () => {
    const raw = await startRawBackend('127.0.0.19', (s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a part');
        setTimeout(() => s.destroy(), 50);
      });
    });
    const client = createUpstreamClient({ connectTimeoutMs: 1000, idleTimeoutMs: 1000 });
    const f = await front(client, endpoint('127.0.0.19', raw.port), { connectTimeoutMs: 1000, responseTimeoutMs: 5000 });
    try {
      const res = await fetchOnce(f.port);
      assert.ok('error' in res, `the client got a clean response: ${JSON.stringify(res)}`);
      const deadline = Date.now() + 2000;
      while (f.results.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(f.results[0]?.error?.kind, ErrorKinds.upstreamReset);
      assert.equal(f.results[0]?.responded, true);
    } finally {
      await client.close().catch(() => {});
      f.server.closeAllConnections();
      f.server.close();
      await raw.close();
    }
  });
});
