import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { translate } from '../src/translate/translate.ts';
import { CLASS_OPTIONS } from './support/translate.ts';

/** `npm start` serves examples/demo.yaml; it must stay valid and point at the demo's backends. */
describe('demo - examples/demo.yaml', () => {
  const path = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));
  const { table } = translate(parseManifests([{ name: path, text: readFileSync(path, 'utf8') }]), CLASS_OPTIONS);

  it('translates without a single diagnostic', () => {
    assert.deepEqual(table.diagnostics, []);
    assert.deepEqual(table.ingresses, ['default/demo']);
  });

  it('routes the URLs the demo prints to the two demo backends (hello :18081, echo :18082)', () => {
    const to = (host: string | undefined, p: string) => {
      const r = table.match(host, p);
      return r ? `${r.backend.service}@${r.backend.endpoints.map((e) => e.key).join(',')}` : 'none';
    };
    assert.equal(to('demo.local', '/'), 'hello@127.0.0.1:18081');
    assert.equal(to('demo.local', '/echo/x'), 'echo@127.0.0.1:18082');
    assert.equal(to('localhost:8080', '/nothing-here'), 'none');
  });

  it('serves its HTTPRoute: gateway.local to hello, with `x-canary: yes` to echo', () => {
    const to = (headers: Record<string, string>) => {
      const r = table.match('gateway.local', '/x', { method: 'GET', headers, query: '', scheme: 'http' });
      return r ? `${r.source?.kind} ${r.source?.rule} ${r.backend.service}` : 'none';
    };
    assert.equal(to({}), 'HTTPRoute main hello');
    assert.equal(to({ 'x-canary': 'yes' }), 'HTTPRoute canary echo');
    assert.equal(table.gatewayStatus?.routes[0].parents[0].conditions.every((c) => c.status === 'True'), true);
  });
});
