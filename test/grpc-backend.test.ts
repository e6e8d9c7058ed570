import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type TestCert, makeCert, tlsSecret } from './support/certs.ts';
import { endpointSlice, ingress, ingressClass, service } from './support/manifests.ts';
import { type RecordingPipeline, startRecordingPipeline } from './support/recording-pipeline.ts';

const PROTO = `
syntax = "proto3";
package demo;
service Greeter {
  rpc Hello (HelloRequest) returns (HelloReply);
  rpc Count (CountRequest) returns (stream HelloReply);
  rpc Fail (HelloRequest) returns (HelloReply);
}
message HelloRequest { string name = 1; }
message CountRequest { int32 n = 1; }
message HelloReply { string message = 1; }
`;

interface HelloReply { message: string }
type Unary<Req> = (req: Req, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: HelloReply) => void) => grpc.ClientUnaryCall;
interface GreeterClient extends grpc.Client {
  Hello: Unary<{ name: string }>;
  Fail: Unary<{ name: string }>;
  Count(req: { n: number }): grpc.ClientReadableStream<HelloReply>;
}
type GreeterCtor = new (target: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => GreeterClient;

function loadGreeter(): { ctor: GreeterCtor; service: grpc.ServiceDefinition } {
  const dir = mkdtempSync(join(tmpdir(), 'rauta-proto-'));
  try {
    const file = join(dir, 'demo.proto');
    writeFileSync(file, PROTO);
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(file)) as unknown as { demo: { Greeter: GreeterCtor & { service: grpc.ServiceDefinition } } };
    return { ctor: pkg.demo.Greeter, service: pkg.demo.Greeter.service };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function unary(fn: Unary<{ name: string }>, client: GreeterClient, name: string): Promise<HelloReply> {
  return new Promise((resolve, reject) => fn.call(client, { name }, new grpc.Metadata(), (err, res) => (err ? reject(err) : resolve(res as HelloReply))));
}

function collect(stream: grpc.ClientReadableStream<HelloReply>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    stream.on('data', (m: HelloReply) => out.push(m.message));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

describe('grpc - h2c backends through the HTTPS (h2) and h2c listeners', () => {
  const greeter = loadGreeter();
  let server: grpc.Server;
  let cert: TestCert;
  let p: RecordingPipeline;
  before(async () => {
    server = new grpc.Server();
    server.addService(greeter.service, {
      Hello: (call: grpc.ServerUnaryCall<{ name: string }, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) => cb(null, { message: `hello ${call.request.name}` }),
      Fail: (_call: grpc.ServerUnaryCall<{ name: string }, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) => cb({ code: grpc.status.NOT_FOUND, details: 'nobody here' }),
      Count: (call: grpc.ServerWritableStream<{ n: number }, HelloReply>) => {
        for (let i = 0; i < call.request.n; i++) call.write({ message: `m${i}` });
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.7:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
    cert = makeCert(['grpc.test']);
    const deadPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.10', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    p = await startRecordingPipeline([
      ingressClass(),
      ingress('grpc', {
        annotations: { 'rauta.io/backend-protocol': 'grpc', 'rauta.io/ssl-redirect': 'false' },
        rules: [{ host: 'grpc.test', paths: [{ service: 'greeter' }] }],
        tls: [{ hosts: ['grpc.test'], secretName: 'grpc-tls' }],
      }),
      ingress('grpc-retry', {
        annotations: { 'rauta.io/backend-protocol': 'h2c', 'rauta.io/ssl-redirect': 'false' },
        rules: [{ host: 'retry.test', paths: [{ service: 'half-dead' }] }],
      }),
      service('greeter'),
      endpointSlice('greeter', port, [{ ip: '127.0.0.7', pod: 'greeter-0' }]),
      service('half-dead'),
      endpointSlice('half-dead', port, [{ ip: '127.0.0.7', pod: 'greeter-0' }]),
      endpointSlice('half-dead', deadPort, [{ ip: '127.0.0.10', pod: 'dead-0' }], { name: 'half-dead-2' }),
      tlsSecret('grpc-tls', cert),
    ], { RAUTA_H2C: 'true' });
  });
  after(async () => {
    await p.stop();
    server.forceShutdown();
  });

  const clients = (): [string, () => GreeterClient][] => [
    ['https (h2)', () => new greeter.ctor(`127.0.0.1:${p.httpsPort}`, grpc.credentials.createSsl(Buffer.from(cert.cert)), {
      'grpc.ssl_target_name_override': 'grpc.test', 'grpc.default_authority': 'grpc.test',
    })],
    ['h2c', () => new greeter.ctor(`127.0.0.1:${p.httpPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.test' })],
  ];

  it('passes unary calls through and records grpc-status 0', async () => {
    for (const [name, make] of clients()) {
      const client = make();
      try {
        const before = p.finished.length;
        assert.equal((await unary(client.Hello, client, name)).message, `hello ${name}`);
        const rec = p.finished.slice(before).find((r) => r.path === '/demo.Greeter/Hello');
        assert.ok(rec, name);
        assert.equal(rec.grpcStatus, '0');
        assert.equal(rec.protocol, 'HTTP/2');
        assert.equal(rec.scheme, name === 'h2c' ? 'http' : 'https');
      } finally {
        client.close();
      }
    }
  });

  it('streams server-streaming responses through, trailers included', async () => {
    for (const [name, make] of clients()) {
      const client = make();
      try {
        const messages = await collect(client.Count({ n: 50 }));
        assert.deepEqual(messages, Array.from({ length: 50 }, (_, i) => `m${i}`), name);
      } finally {
        client.close();
      }
    }
  });

  it('retries another endpoint when an h2c endpoint refuses the connection', async () => {
    const client = new greeter.ctor(`127.0.0.1:${p.httpPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'retry.test' });
    try {
      const before = p.finished.length;
      for (let i = 0; i < 6; i++) assert.equal((await unary(client.Hello, client, `r${i}`)).message, `hello r${i}`);
      const recs = p.finished.slice(before).filter((r) => r.host === 'retry.test');
      assert.equal(recs.length, 6);
      assert.ok(recs.some((r) => r.attempts === 2), `attempts: ${recs.map((r) => r.attempts).join()}`);
      assert.ok(recs.every((r) => r.endpoint?.ip === '127.0.0.7'));
    } finally {
      client.close();
    }
  });

  it('passes grpc-status and grpc-message of a failing call to the client and the record', async () => {
    for (const [name, make] of clients()) {
      const client = make();
      try {
        const before = p.finished.length;
        const err = await unary(client.Fail, client, 'x').then(() => undefined, (e: grpc.ServiceError) => e);
        assert.ok(err, name);
        assert.equal(err.code, grpc.status.NOT_FOUND);
        assert.equal(err.details, 'nobody here');
        const rec = p.finished.slice(before).find((r) => r.path === '/demo.Greeter/Fail');
        assert.equal(rec?.grpcStatus, String(grpc.status.NOT_FOUND));
      } finally {
        client.close();
      }
    }
  });
});
