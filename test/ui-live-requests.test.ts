import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { type UiBrowser, launchBrowser, SCREENSHOT_DIR } from './support/browser.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

// End to end against a live RAUTA: needs the request events (/requests, /requests/stream) on main.

const TRACE_TEMPLATE = 'http://localhost:16686/trace/{trace_id}';

async function text(l: Locator): Promise<string> {
  return (await l.textContent()) ?? '';
}

describe('web UI - live requests from a running RAUTA', () => {
  let web: EchoServer;
  let api: EchoServer;
  let rauta: RunningRauta;
  let ui: UiBrowser;
  const adminUrl = () => `http://127.0.0.1:${rauta.adminPort}/`;

  before(async () => {
    web = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.2');
    api = await startEcho({ namespace: 'default', ingress: 'api', service: 'api', pod: 'api-0' }, '127.0.0.3');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      ingress('api', { rules: [{ host: 'api.test', paths: [{ path: '/v1', service: 'api' }] }] }),
      ingress('broken', { rules: [{ host: 'broken.test', paths: [{ path: '/', pathType: 'Regex', service: 'web' }] }] }),
      service('web'),
      service('api'),
      endpointSlice('web', web.port, [{ ip: '127.0.0.2', pod: 'web-0' }]),
      endpointSlice('api', api.port, [{ ip: '127.0.0.3', pod: 'api-0' }]),
    ]), { RAUTA_TRACE_URL_TEMPLATE: TRACE_TEMPLATE });
    ui = await launchBrowser();
  });
  after(async () => {
    await ui?.close();
    await rauta?.stop();
    await web?.close();
    await api?.close();
  });

  it('shows requests as they happen, filters them, and opens one with its trace link', async () => {
    const { page, consoleErrors, screenshot } = await ui.open();
    await page.goto(adminUrl());
    await page.locator('.feed-state.live').waitFor({ timeout: 10_000 });

    assert.equal((await get(rauta.httpPort, '/ui-live-1', { host: 'web.test' })).status, 200);
    assert.equal((await get(rauta.httpPort, '/v1/ui-live-2', { host: 'api.test' })).status, 200);
    assert.equal((await get(rauta.httpPort, '/ui-live-3', { host: 'nowhere.test' })).status, 404);

    const webRow = page.locator('#req-body tr', { hasText: '/ui-live-1' });
    await webRow.waitFor({ timeout: 10_000 });
    await page.locator('#req-body tr', { hasText: '/v1/ui-live-2' }).waitFor();
    await page.locator('#req-body tr', { hasText: '/ui-live-3' }).waitFor();
    const cells = (await webRow.locator('td').allTextContents()).map((t) => t.trim());
    assert.deepEqual([cells[1], cells[2], cells[3], cells[4], cells[6]], ['GET', 'web.test', '/ui-live-1', '200', 'web-0']);
    assert.match(cells[5], /ms$/);
    assert.equal(await page.locator('#req-body tr', { hasText: '/ui-live-3' }).locator('.badge.s4').count(), 1, '404 is coloured as 4xx');

    await page.fill('#f-host', 'api.test');
    await page.locator('#req-body tr', { hasText: '/ui-live-1' }).waitFor({ state: 'detached' });
    assert.deepEqual((await page.locator('#req-body tr .c-path').allTextContents()).filter((p) => p.startsWith('/v1/ui-live')), ['/v1/ui-live-2']);
    await page.fill('#f-host', '');
    await page.selectOption('#f-status', '4');
    assert.deepEqual(await page.locator('#req-body tr .c-path').allTextContents(), ['/ui-live-3']);
    await page.selectOption('#f-status', '');
    await page.fill('#f-service', 'default/web');
    assert.deepEqual(await page.locator('#req-body tr .c-path').allTextContents(), ['/ui-live-1']);

    await webRow.focus();
    await page.keyboard.press('Enter');
    await page.locator('#event-dialog').waitFor({ state: 'visible' });
    const event = JSON.parse(await text(page.locator('#event-json'))) as { context: { trace_id: string }; data: { path: string; host: string; status_code: number } };
    assert.deepEqual([event.data.host, event.data.path, event.data.status_code], ['web.test', '/ui-live-1', 200]);
    assert.match(event.context.trace_id, /^[0-9a-f]{32}$/);
    assert.equal(await text(page.locator('#event-trace-id')), event.context.trace_id);
    assert.equal(await page.locator('#event-trace-link').getAttribute('href'), TRACE_TEMPLATE.replace('{trace_id}', event.context.trace_id));
    await page.keyboard.press('Escape');
    await page.locator('#event-dialog').waitFor({ state: 'hidden' });
    await page.fill('#f-service', '');

    await page.locator('.chart-card[data-service="default/web"]').waitFor({ timeout: 5_000 });
    await screenshot('live-1280-light');
    assert.deepEqual(consoleErrors, []);
  });

  it('shows the status line and the rejected Ingress with its reason', async () => {
    const { page, consoleErrors, screenshot } = await ui.open({ width: 390, height: 844, colorScheme: 'dark' });
    await page.goto(adminUrl());
    await page.locator('#st-mode', { hasText: 'standalone' }).waitFor();
    assert.equal(await text(page.locator('#st-nats')), 'NATS off');
    assert.equal(await text(page.locator('#st-tracing')), 'tracing off');
    assert.match(await text(page.locator('#st-version')), /^v\d+\.\d+\.\d+/);

    const broken = page.locator('tr[data-ingress="default/broken"]');
    await broken.waitFor();
    assert.equal(await broken.getAttribute('class'), 'ing-rejected');
    assert.match(await text(broken), /rejected[\s\S]*InvalidPathType[\s\S]*Regex/);
    assert.match(await text(page.locator('tr[data-ingress="default/web"]')), /served/);
    await page.locator('#routes-body', { hasText: 'api.test' }).waitFor();
    await page.locator('#req-body tr').first().waitFor({ timeout: 10_000 });
    console.log(`web UI screenshots: ${await screenshot('live-390-dark')} (folder ${SCREENSHOT_DIR})`);
    assert.deepEqual(consoleErrors, []);
  });
});
