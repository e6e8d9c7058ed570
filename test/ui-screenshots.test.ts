import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type UiBrowser, SCREENSHOT_DIR, launchBrowser } from './support/browser.ts';
import { type TestBackend, startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

// The web UI as a person sees it, at desktop (1280 px) and phone (390 px) width, on a real RAUTA with
// real traffic: a healthy shop, an API that fails a third of its requests, and one misconfigured Ingress.
// The PNGs go to RAUTA_SCREENSHOT_DIR (`npm run screenshots` sets docs/images, the README's picture),
// else to a temp folder whose path is printed.

const OUT = resolve(process.env.RAUTA_SCREENSHOT_DIR ?? SCREENSHOT_DIR);

/** Width and height from a PNG's IHDR chunk. */
async function pngSize(path: string): Promise<{ width: number; height: number }> {
  const png = await readFile(path);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', `${path} is a PNG`);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('web UI - screenshots at 1280 px and 390 px', () => {
  let ui: UiBrowser;
  let rauta: RunningRauta;
  const backends: TestBackend[] = [];

  before(async () => {
    await mkdir(OUT, { recursive: true });
    let n = 0;
    const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
    backends.push(await startBackend('127.0.0.41', (_req, res) => { void delay(4 + (n++ % 7)).then(() => res.end('shop')); }));
    backends.push(await startBackend('127.0.0.42', (_req, res) => { void delay(2 + (n++ % 5)).then(() => res.end('shop')); }));
    backends.push(await startBackend('127.0.0.43', (_req, res) => {
      void delay(20 + (n++ % 30)).then(() => {
        res.statusCode = n % 3 === 0 ? 503 : 200;
        res.end('api');
      });
    }));
    const [shopA, shopB, api] = backends;
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('shop', { namespace: 'shop', rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'web' }, { path: '/api', service: 'api' }] }] }),
      ingress('legacy', { namespace: 'shop', rules: [{ host: 'old.example.com', paths: [{ path: '/', service: 'gone' }] }] }),
      service('web', { namespace: 'shop' }),
      service('api', { namespace: 'shop' }),
      endpointSlice('web', shopA.port, [{ ip: shopA.ip, pod: 'web-7d9f8-x2k4q', node: 'node-a', zone: 'eu-north-1a' }], { namespace: 'shop', name: 'web-a' }),
      endpointSlice('web', shopB.port, [{ ip: shopB.ip, pod: 'web-7d9f8-m3n8p', node: 'node-b', zone: 'eu-north-1b' }], { namespace: 'shop', name: 'web-b' }),
      endpointSlice('api', api.port, [{ ip: api.ip, pod: 'api-5c6d7-q9r2s', node: 'node-a', zone: 'eu-north-1a' }], { namespace: 'shop', name: 'api-a' }),
    ]), { RAUTA_PASSIVE_FAILURE_THRESHOLD: '0' });
    // Bounded traffic: 160 requests, 4 at a time.
    const paths = ['/', '/products', '/api/cart', '/api/users/42', '/products/7', '/api/checkout'];
    for (let i = 0; i < 40; i++) {
      await Promise.all([0, 1, 2, 3].map((j) => get(rauta.httpPort, paths[(i * 4 + j) % paths.length], { host: 'shop.example.com' })));
    }
    await get(rauta.httpPort, '/', { host: 'old.example.com' });
    await get(rauta.httpPort, '/missing', { host: 'nobody.example.com' });
    ui = await launchBrowser();
  });
  after(async () => {
    await ui?.close();
    await rauta?.stop();
    for (const b of backends) await b.close();
  });

  for (const [width, height, scheme] of [[1280, 900, 'light'], [390, 844, 'light']] as const) {
    it(`${width} px: the page renders the requests, routes and backends without errors or sideways scrolling`, async () => {
      const { page, consoleErrors } = await ui.open({ width, height, colorScheme: scheme });
      await page.goto(`http://127.0.0.1:${rauta.adminPort}/`);
      await page.locator('#req-body tr').nth(5).waitFor();
      await page.locator('text=shop.example.com').first().waitFor();
      // Real charts: two uPlot canvases per service card, with the window's headline numbers.
      await page.locator('.chart-card[data-service="shop/api"] .plot canvas').nth(1).waitFor();
      assert.match((await page.locator('.chart-card[data-service="shop/api"] [data-metric="requests"]').textContent()) ?? '', /^\d+$/);
      assert.match((await page.locator('.chart-card[data-service="shop/api"] [data-metric="5xx"]').textContent()) ?? '', /^[1-9]\d*\.\d % \(\d+\)$/);
      // The live table scrolls inside its own area.
      const scroll = await page.evaluate<{ scrollHeight: number; clientHeight: number }>("(() => { const e = document.getElementById('req-scroll'); return { scrollHeight: e.scrollHeight, clientHeight: e.clientHeight }; })()");
      assert.ok(scroll.scrollHeight > scroll.clientHeight, `the requests area scrolls (${JSON.stringify(scroll)})`);
      // The route view for the API path: which Ingress serves it, its backend and its live error rate.
      await page.locator('button[data-route="shop/shop|shop.example.com|/api"]').click();
      const facts = page.locator('#route-facts');
      await facts.waitFor();
      assert.equal(await facts.locator('[data-fact="Served by"]').textContent(), 'Ingress shop/shop');
      assert.match((await facts.locator('[data-fact="Backend"]').textContent()) ?? '', /^shop\/api:80 · 1\/1 endpoints ready/);
      assert.match((await facts.locator('[data-fact="Last 5 min"]').textContent()) ?? '', /^\d+ requests · [1-9]\d*\.\d % 5xx/);
      // Per-endpoint latency in the backends view.
      const apiRow = page.locator(`tr[data-endpoint="127.0.0.43:${backends[2].port}"]`);
      await apiRow.waitFor();
      // Rendered every second from the feed: wait (bounded) for the numbers to arrive.
      const latency = apiRow.locator('[data-label="p50 / p99"]');
      for (const deadline = Date.now() + 10_000; !/ms \/ .*ms/.test((await latency.textContent()) ?? '');) {
        assert.ok(Date.now() < deadline, `no per-endpoint latency within 10 s: ${await latency.textContent()}`);
        await page.waitForTimeout(200);
      }
      assert.match((await apiRow.locator('[data-label="requests"]').textContent()) ?? '', /^[1-9]\d*$/);
      // The header is sticky: back to the top so it is drawn once, at the top of the full-page picture.
      await page.evaluate('window.scrollTo(0, 0)');
      await page.waitForTimeout(300);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at ${width} px`);
      const path = join(OUT, `web-ui-${width}.png`);
      await page.screenshot({ path, fullPage: true });
      const size = await pngSize(path);
      assert.equal(size.width, width);
      assert.ok(size.height >= height - 1, `${path}: ${size.width}×${size.height}`);
      assert.deepEqual(consoleErrors, []);
      console.log(`web UI screenshot: ${path}`);
    });
  }
});
