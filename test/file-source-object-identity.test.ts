import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ManifestParser } from '../src/sources/file/manifest-parser.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

/** 200 Services with an Ingress and an EndpointSlice each; `ip` is the pod address of svc-5. */
function manifest(ip: string, extra = false): string {
  const objects = [ingressClass()];
  for (let i = 0; i < 200; i++) {
    objects.push(
      ingress(`app-${i}`, { rules: [{ host: `app-${i}.test`, paths: [{ path: '/', service: `svc-${i}` }] }] }),
      service(`svc-${i}`),
      endpointSlice(`svc-${i}`, 8080, [{ ip: i === 5 ? ip : `127.0.2.${i + 1}`, pod: `pod-${i}` }]),
    );
  }
  if (extra) objects.push(ingress('extra', { rules: [{ host: 'extra.test', paths: [{ path: '/', service: 'svc-0' }] }] }));
  return toYaml(objects);
}

describe('file source - unchanged documents come back as the same objects', () => {
  const parser = new ManifestParser();
  after(() => parser.close());

  it('an EndpointSlice edit gives a new object for that slice only; every other object is the one from before', async () => {
    const first = (await parser.parse([{ name: 'm.yaml', text: manifest('127.0.3.1') }])).objects;
    const second = (await parser.parse([{ name: 'm.yaml', text: manifest('127.0.3.2') }])).objects;
    assert.equal(second.ingresses.length, 200);
    assert.ok(second.ingresses.every((o, i) => o === first.ingresses[i]), 'Ingresses are the same objects');
    assert.ok(second.services.every((o, i) => o === first.services[i]), 'Services are the same objects');
    const changed = second.endpointSlices.filter((o, i) => o !== first.endpointSlices[i]);
    assert.equal(changed.length, 1);
    assert.equal(changed[0].metadata.name, 'svc-5-slice');
    assert.equal(changed[0].endpoints?.[0]?.addresses?.[0], '127.0.3.2');
    // Equal in content to a parse from scratch.
    const fresh = new ManifestParser();
    try {
      assert.deepEqual((await fresh.parse([{ name: 'm.yaml', text: manifest('127.0.3.2') }])).objects, second);
    } finally {
      await fresh.close();
    }
  });

  it('an added document adds one object; a document removed and put back later comes back whole', async () => {
    const base = (await parser.parse([{ name: 'm.yaml', text: manifest('127.0.3.2') }])).objects;
    const added = (await parser.parse([{ name: 'm.yaml', text: manifest('127.0.3.2', true) }])).objects;
    assert.equal(added.ingresses.length, 201);
    assert.equal(added.ingresses.filter((o) => !base.ingresses.includes(o)).length, 1);
    const removed = (await parser.parse([{ name: 'm.yaml', text: manifest('127.0.3.2') }])).objects;
    assert.equal(removed.ingresses.length, 200);
    const back = (await parser.parse([{ name: 'm.yaml', text: manifest('127.0.3.2', true) }])).objects;
    const extra = back.ingresses.find((o) => o.metadata.name === 'extra');
    assert.equal(extra?.spec?.rules?.[0]?.host, 'extra.test');
  });

  it('a parse worker that dies takes its numbering with it: the next parse is whole and correct', async () => {
    const p = new ManifestParser();
    try {
      await p.parse([{ name: 'm.yaml', text: manifest('127.0.3.1') }]);
      await p.close();
      const again = (await p.parse([{ name: 'm.yaml', text: manifest('127.0.3.3') }])).objects;
      assert.equal(again.endpointSlices.find((s) => s.metadata.name === 'svc-5-slice')?.endpoints?.[0]?.addresses?.[0], '127.0.3.3');
      assert.equal(again.ingresses.length, 200);
    } finally {
      await p.close();
    }
  });
});
