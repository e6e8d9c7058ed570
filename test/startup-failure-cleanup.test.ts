import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { startRauta } from '../src/main.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

describe('startup - a failed start leaves nothing listening', () => {
  it('rejects on a manifest that does not parse and closes the admin port it had opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rauta-startfail-'));
    try {
      const file = join(dir, 'bad.yaml');
      await writeFile(file, 'kind: Ingress\nmetadata: [unclosed\n');
      const adminPort = await freePort();
      const { config } = loadConfig([], {
        RAUTA_CONFIG: file, RAUTA_HTTP_PORT: '0', RAUTA_HTTPS_PORT: '0', RAUTA_ADMIN_PORT: String(adminPort),
        RAUTA_BIND_ADDRESS: '127.0.0.1', RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1',
      });
      await assert.rejects(startRauta(config, pino({ level: 'silent' })), /bad\.yaml/);
      assert.equal(await connectable(adminPort), false, 'the admin port is still open after the failed start');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects when the HTTP port is taken and closes the admin port', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rauta-startfail-'));
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const file = join(dir, 'ok.yaml');
      await writeFile(file, '');
      const adminPort = await freePort();
      const { config } = loadConfig([], {
        RAUTA_CONFIG: file, RAUTA_HTTP_PORT: String((taken.address() as AddressInfo).port), RAUTA_HTTPS_PORT: '0',
        RAUTA_ADMIN_PORT: String(adminPort), RAUTA_BIND_ADDRESS: '127.0.0.1', RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1',
      });
      await assert.rejects(startRauta(config, pino({ level: 'silent' })), /EADDRINUSE/);
      assert.equal(await connectable(adminPort), false, 'the admin port is still open after the failed start');
    } finally {
      taken.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
