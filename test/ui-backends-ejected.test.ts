import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { type UiBrowser, launchBrowser } from './support/browser.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

// End to end against a live RAUTA: needs /backends and passive health (ejection after 5 failures) on main.

describe('web UI - backends with an ejected endpoint', () => {
  let good: EchoServer;
  let rauta: RunningRauta;
  let ui: UiBrowser;
  const deadIp = '127.0.0.5';

  before(async () => {
    good = await startEcho({ namespace: 'default', ingress: 'flaky', service: 'flaky', pod: 'flaky-ok' }, '127.0.0.4');
    // Make sure nothing listens on the dead pod's address and port: connections are refused.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(good.port, deadIp, () => probe.close(() => resolve()));
    });
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('flaky', { rules: [{ host: 'flaky.test', paths: [{ path: '/', service: 'flaky' }] }] }),
      service('flaky'),
      endpointSlice('flaky', good.port, [{ ip: '127.0.0.4', pod: 'flaky-ok' }, { ip: deadIp, pod: 'flaky-dead' }]),
    ]));
    ui = await launchBrowser();
  });
  after(async () => {
    await ui?.close();
    await rauta?.stop();
    await good?.close();
  });

  it('shows the pod that refuses connections as ejected, the other as healthy', async () => {
    const { page, consoleErrors, screenshot } = await ui.open();
    await page.goto(`http://127.0.0.1:${rauta.adminPort}/`);
    const dead = page.locator(`tr[data-endpoint="${deadIp}:${good.port}"]`);
    await dead.waitFor({ timeout: 10_000 });

    // Bounded: at most 60 requests or 15 s, stopping as soon as the page shows the ejection.
    const deadline = Date.now() + 15_000;
    for (let i = 0; i < 60 && Date.now() < deadline; i++) {
      await get(rauta.httpPort, `/probe-${i}`, { host: 'flaky.test' });
      if ((await dead.getAttribute('data-health')) === 'ejected') break;
    }
    await page.locator(`tr[data-endpoint="${deadIp}:${good.port}"][data-health="ejected"]`).waitFor({ timeout: 5_000 });
    const cells = (await dead.locator('td').allTextContents()).map((t) => t.trim());
    assert.equal(cells[0], 'flaky-dead');
    assert.match(cells[2], /^ejected/);
    const ok = page.locator(`tr[data-endpoint="127.0.0.4:${good.port}"]`);
    assert.equal(await ok.getAttribute('data-health'), 'healthy');
    assert.match((await page.locator('article.backend[data-backend^="default/flaky"] header').textContent()) ?? '', /1 ejected/);
    // Requests that met the dead pod first were retried on the healthy one: the table marks them.
    await page.locator('#req-body tr .attempts', { hasText: '×2' }).first().waitFor({ timeout: 5_000 });
    await screenshot('backends-ejected-1280-light');
    assert.deepEqual(consoleErrors, []);
  });
});
