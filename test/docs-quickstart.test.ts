import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';

// The manifest the README tells a newcomer to copy (examples/quickstart.yaml) does what the README says,
// with only the backends' addresses moved to this test's loopback servers.

function httpsGet(port: number, servername: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, servername, path, headers: { host: servername }, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('docs - the README quickstart manifest', () => {
  let web: TestBackend;
  let api: TestBackend;
  let rauta: RunningRauta;

  before(async () => {
    web = await startBackend('127.0.0.61', (_req, res) => res.end('web'));
    api = await startBackend('127.0.0.62', (_req, res) => res.end('api'));
    const yaml = readFileSync(new URL('../examples/quickstart.yaml', import.meta.url), 'utf8');
    const moved = yaml
      .replaceAll('3001', String(web.port)).replaceAll('3002', String(api.port))
      .replace(/(name: web, namespace: default, labels[\s\S]*?addresses: \[)127\.0\.0\.1/, `$1${web.ip}`)
      .replace(/(name: api, namespace: default, labels[\s\S]*?addresses: \[)127\.0\.0\.1/, `$1${api.ip}`);
    assert.notEqual(moved, yaml);
    rauta = await startStandalone(moved);
  });
  after(async () => {
    await rauta?.stop();
    await web?.close();
    await api?.close();
  });

  it('plain HTTP redirects to HTTPS; over HTTPS / reaches web and /api reaches api', async () => {
    const plain = await get(rauta.httpPort, '/', { host: 'shop.local' });
    assert.equal(plain.status, 308);
    assert.equal(plain.headers.location, 'https://shop.local/');
    assert.deepEqual(await httpsGet(rauta.httpsPort, 'shop.local', '/'), { status: 200, body: 'web' });
    assert.deepEqual(await httpsGet(rauta.httpsPort, 'shop.local', '/api/x'), { status: 200, body: 'api' });
    assert.equal((await get(rauta.adminPort, '/routes')).status, 200);
  });
});
