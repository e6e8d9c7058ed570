import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { type TestCert, makeCert, tlsSecret } from './support/certs.ts';
import { get } from './support/client.ts';
import { backendRef, gateway, gatewayClass, grpcRoute, httpRoute, parent } from './support/gateway-manifests.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, service, toYaml } from './support/manifests.ts';
import { httpsGet, sanNames } from './support/tls-client.ts';

/**
 * GRPCRoute and an HTTPS listener, over real sockets (gRPC clients over h2c and over TLS with ALPN h2):
 *
 * | case here                          | conformance test                        | feature      |
 * |------------------------------------|-----------------------------------------|--------------|
 * | service/method and header matches  | GRPCExactMethodMatching, GRPCRouteHeaderMatching | GRPCRoute |
 * | gRPC on the HTTPS listener         | GRPCRouteListenerHostnameMatching (TLS) | GRPCRoute    |
 * | HTTPS listener, certificateRefs    | HTTPRouteHTTPSListener                  | Gateway      |
 * | route only on the HTTPS listener   | GatewayHTTPListenerIsolation (scheme)   | Gateway      |
 */
const PROTO = `
syntax = "proto3";
package demo;
service Greeter {
  rpc Hello (HelloRequest) returns (HelloReply);
  rpc Bye (HelloRequest) returns (HelloReply);
}
message HelloRequest { string name = 1; }
message HelloReply { string message = 1; }
`;
interface HelloReply { message: string }
type Unary = (req: { name: string }, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: HelloReply) => void) => grpc.ClientUnaryCall;
interface GreeterClient extends grpc.Client { Hello: Unary; Bye: Unary }
type GreeterCtor = (new (target: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => GreeterClient) & { service: grpc.ServiceDefinition };

function loadGreeter(): GreeterCtor {
  const dir = mkdtempSync(join(tmpdir(), 'rauta-proto-'));
  try {
    writeFileSync(join(dir, 'demo.proto'), PROTO);
    return (grpc.loadPackageDefinition(protoLoader.loadSync(join(dir, 'demo.proto'))) as unknown as { demo: { Greeter: GreeterCtor } }).demo.Greeter;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function call(client: GreeterClient, method: 'Hello' | 'Bye', headers: Record<string, string> = {}): Promise<string> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return new Promise((resolve, reject) => client[method].call(client, { name: 'x' }, md, (err, res) => (err ? reject(err) : resolve((res as HelloReply).message))));
}

describe('gateway - GRPCRoute and an HTTPS listener', () => {
  const Greeter = loadGreeter();
  const servers: grpc.Server[] = [];
  let echo: EchoServer;
  let cert: TestCert;
  let rauta: RunningRauta;

  const startGreeter = async (version: string, ip: string): Promise<number> => {
    const server = new grpc.Server();
    const answer = (m: string) => (call: grpc.ServerUnaryCall<{ name: string }, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) => cb(null, { message: `${version} ${m} ${call.request.name}` });
    server.addService(Greeter.service, { Hello: answer('hello'), Bye: answer('bye') });
    servers.push(server);
    return new Promise((resolve, reject) => server.bindAsync(`${ip}:0`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  };

  before(async () => {
    const v1 = await startGreeter('v1', '127.0.0.31');
    const v2 = await startGreeter('v2', '127.0.0.32');
    echo = await startEcho({ namespace: 'apps', ingress: '', service: 'web', pod: 'web-0' }, '127.0.0.33');
    cert = makeCert(['grpc.test', 'web.test']);
    rauta = await startStandalone(toYaml([
      gatewayClass(),
      gateway('apps', 'gw', [{ name: 'http' }, { name: 'https', protocol: 'HTTPS', port: 443, certificateRefs: [{ name: 'gw-tls' }] }]),
      tlsSecret('gw-tls', cert, 'apps'),
      grpcRoute('apps', 'greeter', {
        parentRefs: [parent('apps', 'gw')], hostnames: ['grpc.test'],
        rules: [
          { matches: [{ method: { service: 'demo.Greeter', method: 'Hello' }, headers: [{ name: 'x-canary', value: 'yes' }] }], backendRefs: [backendRef('greeter-v2', 50051)] },
          { matches: [{ method: { service: 'demo.Greeter', method: 'Hello' } }], backendRefs: [backendRef('greeter-v1', 50051)] },
          { matches: [{ method: { type: 'RegularExpression', method: 'B.e' } }], backendRefs: [backendRef('greeter-v2', 50051)] },
        ],
      }),
      httpRoute('apps', 'web', { parentRefs: [parent('apps', 'gw', { sectionName: 'https' })], hostnames: ['web.test'], rules: [{ backendRefs: [backendRef('web', 80)] }] }),
      ...[['greeter-v1', v1, '127.0.0.31'], ['greeter-v2', v2, '127.0.0.32']].flatMap(([name, port, ip]) => [
        service(String(name), { namespace: 'apps', ports: [{ name: 'grpc', port: 50051 }] }),
        endpointSlice(String(name), Number(port), [{ ip: String(ip), pod: `${name}-0` }], { namespace: 'apps', portName: 'grpc' }),
      ]),
      service('web', { namespace: 'apps' }),
      endpointSlice('web', echo.port, [{ ip: '127.0.0.33', pod: 'web-0' }], { namespace: 'apps' }),
    ]), { RAUTA_H2C: 'true' });
  });
  after(async () => {
    await rauta?.stop();
    await echo?.close();
    for (const s of servers) s.forceShutdown();
  });

  const h2c = () => new Greeter(`127.0.0.1:${rauta.httpPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.test' });
  const tls = () => new Greeter(`127.0.0.1:${rauta.httpsPort}`, grpc.credentials.createSsl(Buffer.from(cert.cert)), { 'grpc.ssl_target_name_override': 'grpc.test', 'grpc.default_authority': 'grpc.test' });

  it('gRPC service/method and header matches pick the backend (h2c)', async () => {
    const client = h2c();
    try {
      assert.equal(await call(client, 'Hello'), 'v1 hello x');
      assert.equal(await call(client, 'Hello', { 'x-canary': 'yes' }), 'v2 hello x');
      assert.equal(await call(client, 'Bye'), 'v2 bye x');
    } finally {
      client.close();
    }
  });

  it('the same GRPCRoute is served on the HTTPS listener (TLS, ALPN h2), with the listener\'s certificate', async () => {
    const client = tls();
    try {
      assert.equal(await call(client, 'Hello'), 'v1 hello x');
    } finally {
      client.close();
    }
  });

  it('an HTTPRoute attached only to the HTTPS listener is served over TLS, not over plain HTTP', async () => {
    const res = await httpsGet(rauta.httpsPort, '/page', { servername: 'web.test' });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { service: string }).service, 'web');
    assert.ok(sanNames(res.peer).includes('web.test'), 'the certificate from certificateRefs is served');
    assert.equal((await get(rauta.httpPort, '/page', { host: 'web.test' })).status, 404);
  });
});
