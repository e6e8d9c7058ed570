import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RouteTable } from '../src/routing/route-table.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import type { ObjectSet } from '../src/sources/object-set.ts';
import { TranslationMemo } from '../src/translate/memo.ts';
import { translate } from '../src/translate/translate.ts';
import { fuzzOptions } from './support/fuzz.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';

type Obj = Record<string, unknown>;
const OPTS = { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller' };

/** One object as the file source normalizes it. */
function normalized(obj: Obj): ObjectSet {
  return parseManifests([{ name: 'x.yaml', text: toYaml([obj]) }]);
}

/** A snapshot from objects (each normalized once, so unchanged objects stay the same objects). */
function snapshot(objs: readonly Obj[], cache: Map<Obj, ObjectSet>): ObjectSet {
  const out: Record<string, unknown[]> = { ingresses: [], ingressClasses: [], services: [], endpointSlices: [], secrets: [], configMaps: [], problems: [] };
  for (const o of objs) {
    let n = cache.get(o);
    if (n === undefined) {
      n = normalized(o);
      cache.set(o, n);
    }
    for (const [k, list] of Object.entries(n)) if (Array.isArray(list) && list.length > 0 && k in out) out[k].push(...list);
  }
  return out as unknown as ObjectSet;
}

const content = (t: RouteTable) => ({
  routes: t.routes, defaultRoute: t.defaultRoute, backends: t.backends, diagnostics: t.diagnostics,
  certificates: t.certificates, ingresses: t.ingresses, gatewayStatus: t.gatewayStatus,
});

function world(n: number): { objs: Obj[]; slices: Obj[] } {
  const objs: Obj[] = [ingressClass()];
  const slices: Obj[] = [];
  for (let i = 0; i < n; i++) {
    objs.push(
      ingress(`app-${i}`, { rules: [{ host: `app-${i}.test`, paths: [{ path: '/', service: `svc-${i}` }, { path: '/api', service: `svc-${(i + 1) % n}` }] }] }),
      service(`svc-${i}`),
    );
    const s = endpointSlice(`svc-${i}`, 8080, [{ ip: `127.0.4.${i + 1}`, pod: `pod-${i}` }]);
    slices.push(s);
    objs.push(s);
  }
  return { objs, slices };
}

describe('translate - a later translation reuses what did not change, and equals a translation from scratch', () => {
  it('an EndpointSlice change re-resolves its Service only: the other routes and backends are the objects from before', () => {
    const { objs, slices } = world(50);
    const cache = new Map<Obj, ObjectSet>();
    const memo = new TranslationMemo();
    const first = translate(snapshot(objs, cache), { ...OPTS, memo });
    const moved = endpointSlice('svc-7', 8080, [{ ip: '127.0.5.7', pod: 'pod-7b' }]);
    const objects = snapshot(objs.map((o) => (o === slices[7] ? moved : o)), cache);
    const second = translate(objects, { ...OPTS, memo });
    const fresh = translate(objects, OPTS);
    assert.deepEqual(content(second.table), content(fresh.table));
    assert.equal(second.fingerprint, fresh.fingerprint);
    assert.notEqual(second.fingerprint, first.fingerprint);
    // svc-7 serves app-7's / and app-6's /api: those two routes and its backend are new objects.
    assert.equal(second.table.routes.filter((r, i) => r !== first.table.routes[i]).length, 2);
    assert.equal(second.table.backends.filter((b, i) => b !== first.table.backends[i]).length, 1);
    assert.equal(second.table.match('app-6.test', '/api/x')?.backend.endpoints[0]?.ip, '127.0.5.7');
    assert.equal(second.table.match('app-7.test', '/')?.backend.endpoints[0]?.pod, 'pod-7b');
    assert.equal(second.table.match('app-8.test', '/'), first.table.match('app-8.test', '/'));
    // The same objects again: the same table, not a new one.
    const again = translate(objects, { ...OPTS, memo });
    assert.equal(again.fingerprint, second.fingerprint);
    assert.equal(again.table, second.table);
  });

  it('any sequence of edits (slices changed, removed, added; Services and Ingresses changed) gives the table a fresh translation gives (property)', () => {
    const n = 6;
    const step = fc.oneof(
      fc.record({ kind: fc.constant('slice' as const), svc: fc.nat(n - 1), ips: fc.array(fc.nat(3), { maxLength: 3 }), ready: fc.boolean() }),
      fc.record({ kind: fc.constant('drop-slice' as const), svc: fc.nat(n - 1) }),
      fc.record({ kind: fc.constant('second-slice' as const), svc: fc.nat(n - 1), ip: fc.nat(3) }),
      fc.record({ kind: fc.constant('service' as const), svc: fc.nat(n - 1), port: fc.constantFrom(80, 81) }),
      fc.record({ kind: fc.constant('ingress' as const), ing: fc.nat(n - 1), path: fc.constantFrom('/', '/v1', '/api') }),
    );
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
      const { objs } = world(n);
      const state = new Map<string, Obj>();
      for (const o of objs) state.set(`${o.kind}/${(o.metadata as Obj).name}`, o);
      const cache = new Map<Obj, ObjectSet>();
      const memo = new TranslationMemo();
      translate(snapshot([...state.values()], cache), { ...OPTS, memo });
      for (const s of steps) {
        switch (s.kind) {
          case 'slice':
            state.set(`EndpointSlice/svc-${s.svc}-slice`, endpointSlice(`svc-${s.svc}`, 8080, s.ips.map((x) => ({ ip: `127.0.6.${x + 1}`, pod: `p-${x}`, ready: s.ready || x > 1 }))));
            break;
          case 'drop-slice':
            state.delete(`EndpointSlice/svc-${s.svc}-slice`);
            break;
          case 'second-slice':
            state.set(`EndpointSlice/svc-${s.svc}-extra`, endpointSlice(`svc-${s.svc}`, 8080, [{ ip: `127.0.7.${s.ip + 1}`, pod: `q-${s.ip}` }], { name: `svc-${s.svc}-extra` }));
            break;
          case 'service':
            state.set(`Service/svc-${s.svc}`, service(`svc-${s.svc}`, { ports: [{ name: 'http', port: s.port, targetPort: 8080 }] }));
            break;
          case 'ingress':
            state.set(`Ingress/app-${s.ing}`, ingress(`app-${s.ing}`, { rules: [{ host: `app-${s.ing}.test`, paths: [{ path: s.path, service: `svc-${s.ing}` }] }] }));
            break;
        }
        const objects = snapshot([...state.values()], cache);
        const got = translate(objects, { ...OPTS, memo });
        const want = translate(objects, OPTS);
        assert.deepEqual(content(got.table), content(want.table));
        assert.equal(got.fingerprint, want.fingerprint);
        for (let i = 0; i < n; i++) {
          for (const path of ['/', '/api/x', '/v1']) {
            assert.deepEqual(got.table.match(`app-${i}.test`, path), want.table.match(`app-${i}.test`, path), `app-${i}.test${path}`);
          }
        }
      }
    }), fuzzOptions(150));
  });
});
