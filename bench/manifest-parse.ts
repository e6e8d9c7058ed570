#!/usr/bin/env node
/**
 * Standalone manifest parsing (`node bench/manifest-parse.ts [--ingresses 20000]`): a file of N Ingresses
 * parsed cold, then again after a one-line edit with the document cache the parse worker keeps, then
 * once more unchanged. Runs in this process on purpose (the worker only moves this time off the proxy's
 * event loop; it does not shrink it).
 */
import { parseArgs } from 'node:util';
import { DocumentCache } from '../src/sources/file/documents.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from '../test/support/manifests.ts';

const { values: args } = parseArgs({ options: { ingresses: { type: 'string', default: '20000' } } });
const n = Number(args.ingresses);

const objects = (marker: string) => [
  ingressClass(),
  service('web'),
  endpointSlice('web', 8080, [{ ip: '10.0.0.1', pod: 'web-0' }]),
  ...Array.from({ length: n }, (_, i) => ingress(`bulk-${i}`, {
    annotations: { 'rauta.io/retries': '2' },
    rules: [{ host: i === n - 1 ? `${marker}.example.com` : `bulk-${i}.example.com`, paths: [{ path: `/a/${i}`, service: 'web' }, { path: `/b/${i}`, pathType: 'Exact', service: 'web' }] }],
  })),
];

const first = toYaml(objects('first'));
const edited = toYaml(objects('edited'));
const time = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

const cache = new DocumentCache();
const cold = time(() => parseManifests([{ name: 'm.yaml', text: first }], cache));
const coldParsed = cache.parsed;
const edit = time(() => parseManifests([{ name: 'm.yaml', text: edited }], cache));
const editParsed = cache.parsed;
const same = time(() => parseManifests([{ name: 'm.yaml', text: edited }], cache));
process.stdout.write(`${n} Ingresses, ${(Buffer.byteLength(first) / 1e6).toFixed(1)} MB of YAML\n`);
process.stdout.write(`cold parse:          ${(cold / 1000).toFixed(2)} s (${coldParsed} documents parsed)\n`);
process.stdout.write(`after a one-line edit: ${edit.toFixed(0)} ms (${editParsed} document parsed, the rest reused)\n`);
process.stdout.write(`unchanged re-read:   ${same.toFixed(0)} ms\n`);
