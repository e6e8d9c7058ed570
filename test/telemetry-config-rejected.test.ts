import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { scrape, scrapeUntil } from './support/prometheus-text.ts';

describe('telemetry - a manifest file that does not parse counts as a failed reload', () => {
  let web: EchoServer;
  let rauta: RunningRauta;
  before(async () => {
    web = await startEcho({ namespace: 'default', ingress: 'web', service: 'web', pod: 'web-0' }, '127.0.0.26');
    rauta = await startStandalone(toYaml([
      ingressClass(),
      ingress('web', { rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] }),
      service('web'),
      endpointSlice('web', web.port, [{ ip: '127.0.0.26', pod: 'web-0' }]),
    ]));
  });
  after(async () => {
    await rauta.stop();
    await web.close();
  });

  it('rauta_config_reloads_total{result="failure"} goes up once per rejected file; the last good routes keep serving', async () => {
    const reloads = (result: string) => scrape(rauta.adminPort, 'rauta_config_reloads_total', { result });
    assert.equal(await reloads('success'), 1);
    assert.equal(await reloads('failure'), 0);
    await writeFile(rauta.manifestPath, 'kind: Ingress\nmetadata: {name: [unclosed\n');
    assert.equal(await scrapeUntil(rauta.adminPort, 'rauta_config_reloads_total', { result: 'failure' }, 1), 1);
    assert.equal((await get(rauta.httpPort, '/', { host: 'web.test' })).status, 200);
    // The unchanged broken file is not counted again on the next polls (500 ms apart).
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await reloads('failure'), 1);
    assert.equal(await reloads('success'), 1);
  });
});
