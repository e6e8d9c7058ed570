import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type ClientHttp2Session, connect, constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

/** Opens an h2c connection and resets streams on it until the server closes it; returns how it ended. */
async function resetUntilClosed(port: number, max: number, prefix: string): Promise<{ goaway: number | undefined; sent: number }> {
  const session: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  let goaway: number | undefined;
  session.on('goaway', (c: number) => { goaway = c; });
  const closed = new Promise<void>((r) => session.once('close', () => r()));
  await new Promise<void>((r) => {
    session.once('connect', () => r());
    session.once('close', () => r());
  });
  let sent = 0;
  for (let i = 0; i < max && !session.closed && !session.destroyed; i++) {
    const req = session.request({ ':path': `/${prefix}/${i}`, ':authority': 'reset.test' });
    req.on('error', () => {});
    req.close(constants.NGHTTP2_CANCEL);
    sent++;
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, 3000).unref())]);
  session.destroy();
  return { goaway, sent };
}

describe('http2 - the rapid-reset budget spans connections (per client address)', () => {
  let rauta: RunningRauta;
  let backend: ReturnType<typeof createServer>;
  let started = 0;
  const paths: string[] = [];
  before(async () => {
    backend = createServer((req, res) => {
      started++;
      paths.push(req.url ?? '');
      setTimeout(() => res.end('late'), 1000);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.54', () => r()));
    rauta = await startStandalone(routeYaml('reset.test', [{ ip: '127.0.0.54', port: (backend.address() as AddressInfo).port }]), {
      RAUTA_H2C: 'true', RAUTA_H2_MAX_RESETS_PER_10S: '20', RAUTA_H2_MAX_RESETS_PER_CLIENT_PER_10S: '50',
    });
  });
  after(async () => {
    await rauta.stop();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  it('reconnecting after each GOAWAY does not buy a fresh budget: later connections are refused at once', async () => {
    const rounds: { goaway: number | undefined; sent: number }[] = [];
    for (let i = 0; i < 8; i++) rounds.push(await resetUntilClosed(rauta.httpPort, 100, `round${i}`));
    for (const r of rounds) assert.equal(r.goaway, constants.NGHTTP2_ENHANCE_YOUR_CALM, JSON.stringify(rounds));
    await new Promise((r) => setTimeout(r, 300));
    // Per connection alone, 8 connections × 20 resets would have started well over 100 backend requests.
    assert.ok(started <= 75, `backend requests started: ${started}`);
    console.log(`# 8 reconnecting rapid-reset connections started ${started} backend requests`);
    // Once the address is over its budget, a new connection is closed before any of its streams runs.
    for (let i = 0; i < 3; i++) assert.equal((await resetUntilClosed(rauta.httpPort, 50, 'blocked')).goaway, constants.NGHTTP2_ENHANCE_YOUR_CALM);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(paths.filter((p) => p.startsWith('/blocked/')), [], 'connections of a blocked address started backend requests');
  });
});
