import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/** Ten hosts; a file cut in half (mid-line) is still valid YAML but holds fewer of them. */
function manifest(generation: number): string {
  return toYaml([
    ingressClass(),
    ...Array.from({ length: 10 }, (_, i) => ingress(`ing-${i}`, { rules: [{ host: `h${i}.test`, paths: [{ path: `/g${generation}`, service: 'web' }] }] })),
    service('web'),
    endpointSlice('web', 8080, [{ ip: '127.0.0.9', pod: 'web-0' }]),
  ]);
}

describe('file source - a half-written file is not taken at its word', () => {
  let rauta: RunningRauta;
  before(async () => {
    rauta = await startStandalone(manifest(0), { RAUTA_CONFIG_DEBOUNCE_MS: '50', RAUTA_CONFIG_MAX_DEBOUNCE_MS: '1500' });
  });
  after(async () => {
    await rauta?.stop();
  });

  it('a file that stops mid-line is not applied while the writer pauses; the finished file is', async () => {
    const good = rauta.routes.table;
    const next = manifest(1);
    const cut = next.lastIndexOf('\n', Math.floor(next.length / 2)) + 5; // a few characters into a line
    const half = next.slice(0, cut);
    assert.ok(!half.endsWith('\n'));
    await writeFile(rauta.manifestPath, half);
    // Well past the hold-off (50 ms): the half file stood still, and still did not replace the routes.
    const until = Date.now() + 700;
    while (Date.now() < until) {
      assert.equal(rauta.routes.table, good, 'the half-written file replaced the routes');
      await new Promise((r) => setTimeout(r, 20));
    }
    await rauta.update(next);
    for (let i = 0; i < 10; i++) assert.equal(rauta.routes.table.match(`h${i}.test`, '/g1')?.backend.service, 'web');
  });

  it('a complete file without a final line break is applied once it has stood still for the longest hold-off', async () => {
    const text = manifest(2).trimEnd();
    const good = rauta.routes.table;
    await writeFile(rauta.manifestPath, text);
    const deadline = Date.now() + 10_000;
    while (rauta.routes.table === good) {
      assert.ok(Date.now() < deadline, 'the file was applied within 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(rauta.routes.table.match('h9.test', '/g2')?.backend.service, 'web');
  });
});
