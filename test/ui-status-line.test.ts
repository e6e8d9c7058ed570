import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type UiBrowser, launchBrowser } from './support/browser.ts';
import { getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { ingressClass, toYaml } from './support/manifests.ts';
import { freePort, NatsServer } from './support/nats-server.ts';

interface Summary { nats: { configured: boolean; connected: boolean }; tracing: { enabled: boolean } }

async function until(what: string, check: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('web UI - status line follows NATS and tracing', () => {
  let nats: NatsServer;
  let rauta: RunningRauta;
  let ui: UiBrowser;

  before(async () => {
    nats = await NatsServer.start();
    // Tracing only needs an endpoint to be on; nothing is exported since no request is made.
    rauta = await startStandalone(toYaml([ingressClass()]), { NATS_URL: nats.url, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    ui = await launchBrowser();
  });
  after(async () => {
    await ui?.close();
    await rauta?.stop();
    await nats?.kill();
  });

  it('shows NATS connected and tracing on, then NATS disconnected when the server dies', async () => {
    const summary = async () => (await getJson<Summary>(rauta.adminPort, '/api/summary')).json;
    await until('NATS connected in /api/summary', async () => (await summary()).nats.connected);
    const s = await summary();
    assert.deepEqual([s.nats, s.tracing], [{ configured: true, connected: true }, { enabled: true }]);

    const { page, consoleErrors } = await ui.open({ colorScheme: 'dark' });
    await page.goto(`http://127.0.0.1:${rauta.adminPort}/`);
    await page.locator('#st-nats.good', { hasText: 'NATS connected' }).waitFor();
    await page.locator('#st-tracing.good', { hasText: 'tracing on' }).waitFor();

    await nats.kill();
    await until('NATS disconnected in /api/summary', async () => !(await summary()).nats.connected);
    await page.locator('#st-nats.bad', { hasText: 'NATS disconnected' }).waitFor({ timeout: 8_000 });
    assert.deepEqual(consoleErrors, []);
  });
});
