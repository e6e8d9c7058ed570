import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import { constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeCert, tlsSecret } from './support/certs.ts';
import { h2request, h2session } from './support/h2-client.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('http2 - one request record per stream, finished exactly once', () => {
  let backend: Server;
  let p: RecordingPipeline;
  before(async () => {
    // Answers after `?delay=ms`, so a client can cancel while the backend is still working.
    backend = createServer((req, res) => {
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
      setTimeout(() => res.end('done'), delay);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.12', () => r()));
    const port = (backend.address() as AddressInfo).port;
    p = await startRecordingPipeline([
      ingressClass(),
      ingress('rec', { rules: [{ host: 'rec.test', paths: [{ service: 'slow' }] }], tls: [{ hosts: ['rec.test'], secretName: 'rec-tls' }] }),
      service('slow'),
      endpointSlice('slow', port, [{ ip: '127.0.0.12', pod: 'slow-0' }]),
      tlsSecret('rec-tls', makeCert(['rec.test'])),
    ]);
  });
  after(async () => {
    await p.stop();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  it('records every stream of a connection once, as HTTP/2 over https', async () => {
    const session = await h2session(`https://127.0.0.1:${p.httpsPort}`, 'rec.test');
    try {
      const before = p.finished.length;
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => h2request(session, { ':path': `/r/${i}`, ':authority': 'rec.test' })));
      assert.ok(results.every((r) => r.status === 200 && r.body === 'done'));
      await until(() => p.finished.length >= before + 30);
      await new Promise((r) => setTimeout(r, 50));
      const recs = p.finished.slice(before);
      assert.equal(recs.length, 30);
      assert.equal(new Set(recs.map((r) => r.requestId)).size, 30);
      for (const r of recs) {
        assert.equal(r.protocol, 'HTTP/2');
        assert.equal(r.scheme, 'https');
        assert.equal(r.host, 'rec.test');
        assert.equal(r.statusCode, 200);
        assert.equal(r.error, undefined);
        assert.equal(r.bytesOut, 4);
      }
    } finally {
      session.close();
    }
  });

  it('records a stream the client cancels mid-request as client-aborted, once', async () => {
    const session = await h2session(`https://127.0.0.1:${p.httpsPort}`, 'rec.test');
    try {
      const before = p.finished.length;
      const req = session.request({ ':path': '/slow?delay=500', ':authority': 'rec.test' });
      req.on('error', () => {});
      await new Promise((r) => setTimeout(r, 100));
      req.close(constants.NGHTTP2_CANCEL);
      await until(() => p.finished.length > before);
      await new Promise((r) => setTimeout(r, 600));
      const recs = p.finished.slice(before);
      assert.equal(recs.length, 1);
      assert.equal(recs[0].path, '/slow');
      assert.equal(recs[0].error?.code, 'RAUTA_ERR_CLIENT_ABORTED');
      assert.equal(p.active.size, 0);
      // The connection itself is fine.
      assert.equal((await h2request(session, { ':path': '/after', ':authority': 'rec.test' })).status, 200);
    } finally {
      session.close();
    }
  });
});
