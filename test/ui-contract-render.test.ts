import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { type UiBrowser, launchBrowser, SCREENSHOT_DIR } from './support/browser.ts';
import { type FakeAdmin, requestEvent, startFakeAdmin } from './support/fake-admin-apis.ts';

// The web UI against admin APIs answered from their published contracts (see fake-admin-apis.ts):
// tests the page on its own, independent of which data APIs are merged yet.

const routesDoc = {
  fingerprint: 'abc123def4567890',
  applied_at: new Date().toISOString(),
  ingresses: ['default/web', 'default/api', 'default/broken'],
  routes: [
    { ingress: 'default/web', host: 'web.test', path: '/', path_type: 'Prefix', tls: false, backend: { service: 'default/web', port: '80', ready_endpoints: 2, endpoints: 2 }, policy: { load_balance: 'round-robin', retries: 2, backend_protocol: 'http1' } },
    { ingress: 'default/api', host: 'api.test', path: '/v1', path_type: 'Prefix', tls: true, backend: { service: 'default/api', port: '8080', ready_endpoints: 1, endpoints: 1 }, policy: { load_balance: 'maglev', hash_by: 'header:x-user', retries: 0, backend_protocol: 'http1' } },
  ],
  default_backend: null,
  certificates: [],
  diagnostics: [
    { ingress: 'default/broken', severity: 'error', reason: 'InvalidPathType', message: 'pathType "Regex" is not Exact, Prefix or ImplementationSpecific; path skipped', field: 'spec.rules[0].http.paths[0].pathType' },
    { ingress: 'default/api', severity: 'warning', reason: 'InvalidAnnotation', message: 'rauta.io/retries: expected 0..5', field: 'metadata.annotations["rauta.io/retries"]' },
  ],
};

const backendsDoc = {
  backends: [
    {
      id: 'default/web:80', namespace: 'default', service: 'web', service_port: '80', policy: { load_balance: 'round-robin', retries: 2 }, routes: ['web.test/'],
      endpoints: [
        { key: '127.0.0.2:8080', ip: '127.0.0.2', port: 8080, pod: 'web-0', node: 'node-a', zone: 'zone-a', ready: true, terminating: false, health: 'healthy', ejected_until: null, consecutive_failures: 0, in_flight: 3 },
        { key: '127.0.0.3:8080', ip: '127.0.0.3', port: 8080, pod: 'web-1', node: 'node-b', zone: 'zone-b', ready: true, terminating: false, health: 'ejected', ejected_until: new Date(Date.now() + 30_000).toISOString(), consecutive_failures: 5, in_flight: 0 },
      ],
    },
  ],
};

async function text(l: Locator): Promise<string> {
  return (await l.textContent()) ?? '';
}

async function rowTexts(page: Page): Promise<string[]> {
  return page.locator('#req-body tr').allInnerTexts();
}

describe('web UI - renders the admin API contracts', () => {
  let ui: UiBrowser;
  let fake: FakeAdmin;
  const base = () => `http://127.0.0.1:${fake.port}`;

  before(async () => {
    fake = await startFakeAdmin({
      routes: routesDoc,
      backends: backendsDoc,
      traceUrlTemplate: 'http://localhost:16686/trace/{trace_id}',
      telemetry: { nats: () => ({ configured: true, connected: true }), tracing: () => ({ enabled: true }) },
      events: [
        requestEvent({ host: 'api.test', path: '/v1/users', status: 200, service: 'api', ageMs: 20_000, durationMs: 12 }),
        requestEvent({ host: 'web.test', path: '/old', status: 500, service: 'web', ageMs: 10_000, durationMs: 40 }),
        requestEvent({ host: 'web.test', path: '/index.html', status: 200, service: 'web', ageMs: 5_000 }),
      ],
    });
    ui = await launchBrowser();
  });
  after(async () => {
    await ui?.close();
    await fake?.close();
  });

  it('shows the status line, the recent requests, then new ones live; filters, pause and the event dialog work by keyboard', async () => {
    const { page, consoleErrors, screenshot } = await ui.open();
    await page.goto(base());
    await page.locator('#st-nats', { hasText: 'NATS connected' }).waitFor();
    assert.equal(await text(page.locator('#st-mode')), 'standalone');
    assert.equal(await text(page.locator('#st-tracing')), 'tracing on');
    assert.match(await text(page.locator('#st-version')), /^v\d+\.\d+\.\d+/);

    await page.locator('#req-body tr').nth(2).waitFor();
    assert.deepEqual((await rowTexts(page)).map((t) => t.split('\t')[3]), ['/index.html', '/old', '/v1/users']);
    await page.locator('.feed-state.live').waitFor();

    fake.push(requestEvent({ host: 'web.test', path: '/live-1', status: 404, service: 'web' }));
    await page.locator('#req-body tr', { hasText: '/live-1' }).waitFor();
    assert.match((await rowTexts(page))[0], /\/live-1/, 'the newest request is on top');
    assert.equal(await page.locator('#req-body tr', { hasText: '/live-1' }).locator('.badge').getAttribute('class'), 'badge s4');

    // Filters: host, then status class, then service.
    await page.fill('#f-host', 'api');
    assert.deepEqual((await rowTexts(page)).map((t) => t.split('\t')[3]), ['/v1/users']);
    await page.fill('#f-host', '');
    await page.selectOption('#f-status', '5');
    assert.deepEqual((await rowTexts(page)).map((t) => t.split('\t')[3]), ['/old']);
    await page.selectOption('#f-status', '');
    await page.fill('#f-service', 'default/api');
    assert.equal((await rowTexts(page)).length, 1);
    await page.fill('#f-service', '');

    // Pause holds new rows back and counts them; resume shows them.
    await page.click('#pause');
    fake.push(requestEvent({ host: 'web.test', path: '/while-paused', status: 200, service: 'web' }));
    await page.locator('#feed-state', { hasText: 'paused · 1 new' }).waitFor();
    assert.equal(await page.locator('#req-body tr', { hasText: '/while-paused' }).count(), 0);
    await page.click('#pause');
    await page.locator('#req-body tr', { hasText: '/while-paused' }).waitFor();

    // Keyboard: Tab from the last filter button reaches the newest row, arrows move down to /old,
    // Enter opens the event, Escape closes it and focus returns to the row.
    await page.focus('#clear');
    await page.keyboard.press('Tab');
    assert.match(await text(page.locator('#req-body tr:focus')), /\/while-paused/);
    assert.equal(await page.locator('#req-body tr[tabindex="0"]').count(), 1, 'the table is a single Tab stop');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.match(await text(page.locator('#req-body tr:focus')), /\/old/);
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    assert.equal(outline, 'solid', 'focus is visible');
    await page.keyboard.press('Enter');
    const dialog = page.locator('#event-dialog');
    await dialog.waitFor({ state: 'visible' });
    const json = JSON.parse(await text(page.locator('#event-json'))) as { context: { trace_id: string }; data: { path: string } };
    assert.equal(json.data.path, '/old');
    assert.equal(await text(page.locator('#event-trace-id')), json.context.trace_id);
    assert.equal(await page.locator('#event-trace-link').getAttribute('href'), `http://localhost:16686/trace/${json.context.trace_id}`);
    // Rows are rebuilt while the dialog is open; focus must still come back to the same request.
    fake.push(requestEvent({ host: 'web.test', path: '/while-dialog-open', status: 200, service: 'web' }));
    await page.locator('#req-body tr', { hasText: '/while-dialog-open' }).waitFor();
    await screenshot('contract-dialog-1280-light');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.match(await text(page.locator('#req-body tr:focus')), /\/old/, 'focus returns to the row');

    // Traffic cards: one for all services, one per service, each with two charts (traffic, latency).
    await page.locator('.chart-card[data-service="default/web"] .plot canvas').nth(1).waitFor();
    assert.ok(await page.locator('.chart-card[data-service="all services"]').count());
    assert.deepEqual(consoleErrors, []);
  });

  it('shows a rejected Ingress in red with its reason, and an ejected endpoint', async () => {
    const { page, consoleErrors } = await ui.open();
    await page.goto(base());
    const broken = page.locator('tr[data-ingress="default/broken"]');
    await broken.waitFor();
    assert.match(await text(broken), /rejected[\s\S]*InvalidPathType[\s\S]*pathType "Regex"/);
    assert.equal(await broken.getAttribute('class'), 'ing-rejected');
    const bg = await page.evaluate<string>(`getComputedStyle(document.querySelector('tr[data-ingress="default/broken"] td')).backgroundColor`);
    assert.equal(bg, 'rgb(254, 226, 226)', 'rejected rows are red');
    assert.match(await text(page.locator('tr[data-ingress="default/api"]')), /served with warnings/);
    assert.match(await text(page.locator('#routes-body')), /api\.test[\s\S]*\/v1[\s\S]*default\/api:8080/);

    const ejected = page.locator('tr[data-endpoint="127.0.0.3:8080"]');
    await ejected.waitFor();
    const cells = async (row: Locator) => (await row.locator('td').allTextContents()).map((t) => t.trim());
    const [pod, address, state, inFlight, failures] = await cells(ejected);
    assert.deepEqual([pod, address, inFlight, failures], ['web-1', '127.0.0.3:8080', '0', '5']);
    assert.match(state, /^ejected until \d\d:\d\d:\d\d/);
    const healthy = await cells(page.locator('tr[data-endpoint="127.0.0.2:8080"]'));
    assert.deepEqual(healthy.slice(2, 5), ['healthy', '3', '0']);
    assert.deepEqual(consoleErrors, []);
  });

  it('is readable at 1280 px and 390 px, light and dark (screenshots)', async () => {
    // One page, re-laid out per size and colour scheme (a new browser context per shot costs ~1 s).
    const { page, consoleErrors, screenshot } = await ui.open();
    await page.goto(base());
    await page.locator('#req-body tr').first().waitFor();
    await page.locator('.chart-card').first().waitFor();
    await page.locator('tr[data-endpoint]').first().waitFor();
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [1280, 390]) {
        await page.emulateMedia({ colorScheme });
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        const bodyBg = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        assert.equal(bodyBg, colorScheme === 'dark' ? 'rgb(15, 18, 22)' : 'rgb(247, 248, 250)', `${colorScheme} palette`);
        // Nothing may stick out sideways at phone width: the page itself must not scroll horizontally.
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        assert.ok(overflow <= 0, `page is ${overflow} px wider than the ${width} px viewport`);
        const path = await screenshot(`contract-${width}-${colorScheme}`);
        assert.ok(path.startsWith(SCREENSHOT_DIR));
        await page.locator('#req-body tr', { hasText: '/old' }).click();
        await page.locator('#event-trace-link').waitFor();
        await screenshot(`contract-dialog-${width}-${colorScheme}`);
        await page.click('#event-close');
        await page.locator('#event-dialog').waitFor({ state: 'hidden' });
      }
    }
    assert.deepEqual(consoleErrors, []);
    console.log(`web UI screenshots: ${SCREENSHOT_DIR}`);
  });
});
