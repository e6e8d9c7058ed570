import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect } from 'nats';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { natsConnectionOptions } from '../src/telemetry/sinks/nats-options.ts';
import { get } from './support/client.ts';
import { validRequestEvents } from './support/event-schema.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { NatsServer, freePort } from './support/nats-server.ts';

async function until(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const connected = async (r: RunningRauta) => /^rauta_nats_connected 1$/m.test((await get(r.adminPort, '/metrics')).body);

describe('telemetry - NATS connection settings', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('takes user and password out of NATS_URL, understands tls:// and several servers', () => {
    const { options, display } = natsConnectionOptions({ url: 'nats://rauta:p%40ss@nats-0:4222, tls://nats-1', credsFile: undefined, token: undefined });
    assert.deepEqual(options.servers, ['nats-0:4222', 'nats-1:4222']);
    assert.equal(options.user, 'rauta');
    assert.equal(options.pass, 'p@ss');
    assert.deepEqual(options.tls, {});
    assert.equal(display, 'nats://nats-0:4222,tls://nats-1:4222');
    assert.doesNotMatch(display, /p@ss|p%40ss/);
    assert.throws(() => natsConnectionOptions({ url: 'http://x', credsFile: undefined, token: undefined }), /RAUTA_ERR_NATS_CONFIG|scheme/);
    assert.throws(() => natsConnectionOptions({ url: 'nats://x', credsFile: '/nonexistent/creds', token: undefined }), /cannot read/);
  });

  it('starts without waiting for NATS, serves and keeps events in the ring, then connects when NATS appears', async () => {
    const echo: EchoServer = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.15');
    cleanup.push(() => echo.close());
    const port = await freePort();
    const t0 = Date.now();
    const rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', echo.port, [{ ip: '127.0.0.15', pod: 'web-0' }]),
    ]), { NATS_URL: `nats://127.0.0.1:${port}` });
    cleanup.push(() => rauta.stop());
    assert.ok(Date.now() - t0 < 5000, 'start-up did not wait for NATS');
    assert.equal((await get(rauta.httpPort, '/before', { host: 'web.test' })).status, 200);
    assert.equal(await connected(rauta), false);
    await until('the event in /requests', async () => validRequestEvents(JSON.parse((await get(rauta.adminPort, '/requests?format=json')).body)).length === 1);

    const nats = await NatsServer.start(port);
    cleanup.push(() => nats.kill());
    const sub = await connect({ servers: nats.url });
    cleanup.push(() => sub.close());
    const got: string[] = [];
    sub.subscribe('rauta.requests', { callback: (_e, m) => got.push((JSON.parse(new TextDecoder().decode(m.data)) as { data: { path: string } }).data.path) });
    await sub.flush();
    await until('RAUTA connected after NATS came up', () => connected(rauta), 15_000);
    assert.equal((await get(rauta.httpPort, '/after', { host: 'web.test' })).status, 200);
    await until('the event after connecting', () => got.includes('/after'));
  });

  it('authenticates with user and password from the URL, and with NATS_TOKEN', async () => {
    const withUser = await NatsServer.start(undefined, ['--user', 'rauta', '--pass', 's3cret']);
    cleanup.push(() => withUser.kill());
    const withToken = await NatsServer.start(undefined, ['--auth', 'tok-123']);
    cleanup.push(() => withToken.kill());
    const yaml = toYaml([ingressClass()]);
    const a = await startStandalone(yaml, { NATS_URL: `nats://rauta:s3cret@127.0.0.1:${withUser.port}` });
    cleanup.push(() => a.stop());
    const b = await startStandalone(yaml, { NATS_URL: `nats://127.0.0.1:${withToken.port}`, NATS_TOKEN: 'tok-123' });
    cleanup.push(() => b.stop());
    const wrong = await startStandalone(yaml, { NATS_URL: `nats://127.0.0.1:${withToken.port}`, NATS_TOKEN: 'wrong' });
    cleanup.push(() => wrong.stop());
    await until('user/password connection', () => connected(a));
    await until('token connection', () => connected(b));
    // A wrong token never connects (and never blocks start-up or requests).
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await connected(wrong), false);
  });
});
