import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { translate } from '../src/translate/translate.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { CLASS_OPTIONS } from './support/translate.ts';

/** An object from a file with one field of the wrong type: it alone is skipped, with the field named. */
const cases: { name: string; object: Obj; field: string }[] = [
  { name: 'tls hosts not a list', object: { ...ingress('bad', { rules: [{ host: 'bad.test', paths: [{ service: 'web' }] }] }), spec: { tls: [{ hosts: false }] } }, field: 'spec.tls[0].hosts' },
  { name: 'a tls host not a string', object: { ...ingress('bad'), spec: { tls: [{ hosts: ['ok.test', 7] }] } }, field: 'spec.tls[0].hosts[1]' },
  { name: 'secretName a mapping', object: { ...ingress('bad'), spec: { tls: [{ secretName: { a: 1 } }] } }, field: 'spec.tls[0].secretName' },
  { name: 'a rule host a number', object: { ...ingress('bad'), spec: { rules: [{ host: 42, http: { paths: [] } }] } }, field: 'spec.rules[0].host' },
  { name: 'a backend service name a list', object: { ...ingress('bad'), spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: ['x'] } } }] } }] } }, field: 'spec.rules[0].http.paths[0].backend.service.name' },
  { name: 'a port number a string', object: { ...ingress('bad'), spec: { defaultBackend: { service: { name: 'web', port: { number: '80' } } } } }, field: 'spec.defaultBackend.service.port.number' },
  { name: 'a Service targetPort a list', object: { ...service('svc'), spec: { ports: [{ port: 80, targetPort: [8080] }] } }, field: 'spec.ports[0].targetPort' },
  { name: 'an endpoint address a number', object: { ...endpointSlice('svc', 80, []), endpoints: [{ addresses: [127] }] }, field: 'endpoints[0].addresses[0]' },
  { name: 'a ready condition a string', object: { ...endpointSlice('svc', 80, []), endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: 'yes' } }] }, field: 'endpoints[0].conditions.ready' },
  { name: 'an IngressClass controller a number', object: { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'c' }, spec: { controller: 1 } }, field: 'spec.controller' },
];

describe('file source - objects of the wrong shape fail alone', () => {
  for (const c of cases) {
    it(`${c.name}: a problem naming ${c.field}; the other Ingress is still routed`, () => {
      const objects = parseManifests([{ name: 'm.yaml', text: toYaml([
        ingressClass(),
        ingress('good', { rules: [{ host: 'good.test', paths: [{ path: '/', service: 'web' }] }] }),
        service('web'),
        endpointSlice('web', 8080, [{ ip: '127.0.0.1' }]),
        c.object,
      ]) }]);
      assert.equal(objects.problems.length, 1, JSON.stringify(objects.problems));
      assert.equal(objects.problems[0].field, c.field);
      const { table } = translate(objects, CLASS_OPTIONS);
      assert.equal(table.match('good.test', '/')?.backend.service, 'web');
    });
  }
});

describe('file source - kinds named like Object members', () => {
  it('kind constructor, __proto__, toString or hasOwnProperty is an unknown kind, not a crash', () => {
    for (const kind of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const objects = parseManifests([{ name: 'm.yaml', text: toYaml([ingressClass(), { apiVersion: 'v1', kind, metadata: { name: 'x' }, spec: {} }]) }]);
      assert.equal(objects.problems.length, 1, kind);
      assert.equal(objects.problems[0].field, 'kind');
      assert.match(objects.problems[0].message, /is not one RAUTA reads/);
    }
  });
});
