import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type UiBrowser, launchBrowser } from './support/browser.ts';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { routeYaml } from './support/manifests.ts';

// In the browser: a refused manifest edit shows on the status line and in a banner that names the key
// and the fix; the traffic window switches between 1 and 5 minutes and the numbers cover it whole.

describe('web UI - refused manifest banner and traffic window', () => {
  let backend: TestBackend;
  let rauta: RunningRauta;
  let ui: UiBrowser;
  let good: string;

  before(async () => {
    let n = 0;
    backend = await startBackend('127.0.0.91', (_req, res) => {
      res.statusCode = n++ % 2 === 0 ? 500 : 200;
      res.end('x');
    });
    good = routeYaml('banner.test', [{ ip: backend.ip, port: backend.port }]);
    rauta = await startStandalone(good, { RAUTA_CONFIG_DEBOUNCE_MS: '20', RAUTA_PASSIVE_FAILURE_THRESHOLD: '0' });
    for (let i = 0; i < 10; i++) await get(rauta.httpPort, '/', { host: 'banner.test' });
    ui = await launchBrowser();
  });
  after(async () => {
    await ui?.close();
    await rauta?.stop();
    await backend?.close();
  });

  it('shows the refused edit with the key and the fix, and hides it once the file is fixed', async () => {
    const { page, consoleErrors } = await ui.open();
    await page.goto(`http://127.0.0.1:${rauta.adminPort}/`);
    await page.locator('#st-mode').waitFor();
    assert.equal(await page.locator('#config-banner').isVisible(), false);
    await writeFile(rauta.manifestPath, good.replace('name: web\n', 'name: web\n  annotations:\n    rauta.io/ssl-redirect: false\n'));
    const banner = page.locator('#config-banner');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /^Configuration not applied — the last good routes keep serving\./);
    assert.match(text, /metadata\.annotations\["rauta\.io\/ssl-redirect"\] is false \(a boolean\), but annotation values are strings: quote the value, rauta\.io\/ssl-redirect: "false"/);
    assert.equal(await page.locator('#st-rejected').textContent(), 'manifest rejected');
    await writeFile(rauta.manifestPath, good);
    await banner.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.deepEqual(consoleErrors, []);
  });

  it('1 min / 5 min: the buttons switch the window, and the 5xx share covers the whole of it', async () => {
    const { page, consoleErrors } = await ui.open();
    await page.goto(`http://127.0.0.1:${rauta.adminPort}/`);
    const errors = page.locator('.chart-card[data-service="default/web"] [data-metric="5xx"]');
    await errors.waitFor();
    assert.equal(await errors.textContent(), '50.0 % (5)');
    assert.equal(await page.locator('button[data-window="300000"]').getAttribute('aria-pressed'), 'true');
    await page.locator('button[data-window="60000"]').click();
    assert.equal(await page.locator('button[data-window="60000"]').getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('button[data-window="300000"]').getAttribute('aria-pressed'), 'false');
    assert.equal(await errors.textContent(), '50.0 % (5)');
    assert.match(await errors.getAttribute('title') ?? '', /last 1 min/);
    assert.deepEqual(consoleErrors, []);
  });
});
