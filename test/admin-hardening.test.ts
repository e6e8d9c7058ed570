import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { captureLogger } from './support/log-capture.ts';
import { ingressClass, toYaml } from './support/manifests.ts';

/** Writes raw bytes to the admin port and returns everything it answers until it closes (bounded). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (c: Buffer) => {
      out += c.toString('latin1');
      if (/\r\n\r\n/.test(out)) socket.end();
    });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

const TOKEN = 'a-long-enough-admin-token';

describe('admin - hostile request targets and Host headers (no token)', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(toYaml([ingressClass()]), { RAUTA_ADMIN_ALLOWED_HOSTS: 'rauta-metrics.ops.svc, Metrics.Example.' });
  });
  after(() => rauta.stop());

  it('a request target new URL() throws on gets 400, and the process keeps answering', async () => {
    for (const target of ['http://[', 'http://[::1', '//[', 'http://a b']) {
      const res = await raw(rauta.adminPort, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.match(res, /^HTTP\/1\.1 400 /, `${target}: ${res.slice(0, 80)}`);
    }
    assert.equal((await get(rauta.adminPort, '/healthz')).status, 200);
  });

  it('answers Host localhost, IP literals and configured names; a DNS name it does not know gets 403 on every path', async () => {
    for (const host of ['localhost', 'localhost:9000', 'rauta.localhost', '127.0.0.1', `127.0.0.1:${rauta.adminPort}`, '[::1]:9000', '10.1.2.3:9000', 'rauta-metrics.ops.svc:9000', 'metrics.example', 'METRICS.example.']) {
      assert.equal((await get(rauta.adminPort, '/routes', { host })).status, 200, host);
    }
    for (const host of ['evil.example', 'evil.example:9000', 'localhost.evil.example', 'rauta-metrics.ops.svc.evil.example', '127.0.0.1.nip.io', '[::1', 'localhost:x']) {
      for (const path of ['/routes', '/requests', '/', '/healthz', '/no-such-path']) {
        const res = await get(rauta.adminPort, path, { host });
        assert.equal(res.status, 403, `${host} ${path}`);
        assert.match(res.body, /RAUTA_ADMIN_ALLOWED_HOSTS/);
      }
    }
  });

  it('an HTTP/1.0 request without Host is answered (browsers always send Host)', async () => {
    assert.match(await raw(rauta.adminPort, 'GET /healthz HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 /);
  });
});

describe('admin - with RAUTA_ADMIN_TOKEN the token decides, not the Host', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(toYaml([ingressClass()]), { RAUTA_ADMIN_TOKEN: TOKEN });
  });
  after(() => rauta.stop());

  it('any Host with the token gets 200; without it 401; a bad target is still 400', async () => {
    assert.equal((await get(rauta.adminPort, '/routes', { host: 'rauta.example.com', authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get(rauta.adminPort, '/routes', { host: 'rauta.example.com' })).status, 401);
    assert.match(await raw(rauta.adminPort, 'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 400 /);
  });
});

describe('admin - bind address and the open-port warning', () => {
  it('binds loopback by default in standalone mode, all interfaces by default in Kubernetes mode; explicit values win', () => {
    assert.equal(loadConfig([], { RAUTA_CONFIG: '/tmp/x.yaml' }).config.adminBindAddress, '127.0.0.1');
    assert.equal(loadConfig([], {}).config.adminBindAddress, '0.0.0.0');
    assert.equal(loadConfig([], { RAUTA_CONFIG: '/tmp/x.yaml', RAUTA_ADMIN_BIND_ADDRESS: '0.0.0.0' }).config.adminBindAddress, '0.0.0.0');
    assert.equal(loadConfig(['--admin-bind-address', '127.0.0.2'], {}).config.adminBindAddress, '127.0.0.2');
  });

  it('a standalone RAUTA started without RAUTA_ADMIN_BIND_ADDRESS listens on 127.0.0.1 and does not warn', async () => {
    const logs = captureLogger();
    const rauta = await startStandalone(toYaml([ingressClass()]), { RAUTA_ADMIN_BIND_ADDRESS: '' }, logs.logger);
    try {
      assert.equal(listeningAddress(logs.lines()), '127.0.0.1');
      assert.equal(logs.lines().filter((l) => /WITHOUT A TOKEN/.test(String(l.msg))).length, 0);
    } finally {
      await rauta.stop();
    }
  });

  it('listening beyond loopback without a token logs one loud warning; with a token, none', async () => {
    for (const [env, warnings] of [[{}, 1], [{ RAUTA_ADMIN_TOKEN: TOKEN }, 0]] as const) {
      const logs = captureLogger();
      const rauta = await startStandalone(toYaml([ingressClass()]), { ...env, RAUTA_ADMIN_BIND_ADDRESS: '0.0.0.0' }, logs.logger);
      await rauta.stop();
      const warned = logs.lines().filter((l) => l.level === 40 && /ADMIN PORT OPEN WITHOUT A TOKEN/.test(String(l.msg)));
      assert.equal(warned.length, warnings, JSON.stringify(env));
      if (warnings === 1) assert.match(String(warned[0].admin), /^0\.0\.0\.0:\d+$/);
    }
  });
});

/** The admin address from the "rauta listening" line (`host:port`). */
function listeningAddress(lines: Record<string, unknown>[]): string | undefined {
  const admin = lines.find((l) => l.msg === 'rauta listening')?.admin;
  return typeof admin === 'string' ? admin.slice(0, admin.lastIndexOf(':')) : undefined;
}
