import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import type { ObjectSet } from '../src/sources/object-set.ts';
import { translate } from '../src/translate/translate.ts';
import { get } from './support/client.ts';
import { fuzzOptions } from './support/fuzz.ts';
import { type CertPool, hostileString, makeCertPool, objectSetArb } from './support/fuzz-objects.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';
import { type Obj, endpointSlice, ingress, ingressClass, service, toYaml } from './support/manifests.ts';
import { CLASS_OPTIONS } from './support/translate.ts';
import { backendRef, gateway, gatewayClass, grpcRoute, httpRoute, parent, referenceGrant } from './support/gateway-manifests.ts';

const CANARY_IPS = ['127.0.0.51', '127.0.0.52', '127.0.0.53'];

/** Objects no fuzzed object touches: their host must keep routing to all three pods whatever else is applied. */
function canaryObjects(ports: readonly number[]): Obj[] {
  return [
    ingressClass(),
    // No fuzzed object names a canary host, and another tenant's wildcard `spec.tls` entry must not make
    // the canary's plain-HTTP answers 308s: a wildcard covers only its own Ingress's hosts.
    ingress('canary', { namespace: 'canary-ns', creationTimestamp: '1970-01-01T00:00:00Z', rules: [{ host: 'canary.test', paths: [{ path: '/', service: 'canary' }] }] }),
    service('canary', { namespace: 'canary-ns' }),
    ...ports.map((port, i) => endpointSlice('canary', port, [{ ip: CANARY_IPS[i], pod: `canary-${i}` }], { namespace: 'canary-ns', name: `canary-${i}` })),
  ];
}

function merge(a: ObjectSet, b: ObjectSet): ObjectSet {
  return {
    ingresses: [...a.ingresses, ...b.ingresses],
    ingressClasses: [...a.ingressClasses, ...b.ingressClasses],
    services: [...a.services, ...b.services],
    endpointSlices: [...a.endpointSlices, ...b.endpointSlices],
    secrets: [...a.secrets, ...b.secrets],
    problems: [...a.problems, ...b.problems],
  };
}

/** One object per kind, namespace and name, as an API server holds them. */
function unique(set: ObjectSet): ObjectSet {
  const dedupe = <T extends { metadata: { name: string; namespace?: string } }>(xs: readonly T[]) => {
    const seen = new Set<string>();
    return xs.filter((x) => {
      const key = `${x.metadata.namespace ?? 'default'}/${x.metadata.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return { ...set, ingresses: dedupe(set.ingresses), ingressClasses: dedupe(set.ingressClasses), services: dedupe(set.services), endpointSlices: dedupe(set.endpointSlices), secrets: dedupe(set.secrets) };
}

function permute<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs.map((x, i) => ({ x, k: keys[i % keys.length] + i / 1000 })).sort((a, b) => a.k - b.k).map((e) => e.x);
}

/** Replaces, deletes or retypes one value somewhere in a JSON tree (the shapes a hand-written manifest gets wrong). */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0] % entries.length];
  const next = mutate(child, path.slice(1), replacement);
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === key ? next : v));
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (next === undefined) delete out[key];
  else out[key] = next;
  return out;
}

const wrongValue = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.integer(), fc.double(), fc.boolean(), hostileString,
  fc.constant([]), fc.constant({}), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

describe('fuzz - hostile objects through translate and the route-table swap', () => {
  let pool: CertPool;
  let pods: EchoServer[];
  let canary: ObjectSet;
  let canaryYaml: string;
  // A fresh RAUTA per property: a failure in one must not leave the next a broken table to start from.
  let rauta: RunningRauta;
  before(async () => {
    pool = makeCertPool();
    pods = await Promise.all(CANARY_IPS.map((ip, i) => startEcho({ namespace: 'canary-ns', ingress: 'canary', service: 'canary', pod: `canary-${i}` }, ip)));
    canaryYaml = toYaml(canaryObjects(pods.map((p) => p.port)));
    canary = parseManifests([{ name: 'canary.yaml', text: canaryYaml }]);
  });
  beforeEach(async () => {
    rauta = await startStandalone(canaryYaml);
  });
  afterEach(async () => {
    await rauta?.stop();
  });
  after(async () => {
    await Promise.all((pods ?? []).map((p) => p.close()));
  });

  /** Whatever was applied: the table is whole, the canary host balances over all its pods, the admin views answer. */
  async function assertWhole(): Promise<void> {
    const current = rauta.reconciler.current;
    assert.ok(current !== undefined);
    assert.equal(rauta.routes.table, current.table, 'the live table is the one the reconciler recorded');
    const seen = new Set<string>();
    for (let i = 0; i < CANARY_IPS.length; i++) {
      const res = await get(rauta.httpPort, `/probe/${i}`, { host: 'canary.test' });
      assert.equal(res.status, 200, res.body);
      seen.add((JSON.parse(res.body) as { pod: string }).pod);
    }
    assert.equal(seen.size, CANARY_IPS.length, `round robin over all canary pods, got ${[...seen].join(', ')}`);
    for (const path of ['/routes', '/backends', '/api/summary']) {
      const res = await get(rauta.adminPort, path);
      assert.equal(res.status, 200, `${path}: ${res.body.slice(0, 200)}`);
      JSON.parse(res.body);
    }
  }

  it('translate never throws, is deterministic and does not depend on the order of objects (property)', () => {
    fc.assert(fc.property(objectSetArb(pool), fc.array(fc.integer(), { minLength: 1, maxLength: 40 }), (set, keys) => {
      const objects = unique(merge(canary, set));
      const a = translate(objects, CLASS_OPTIONS);
      assert.equal(translate(objects, CLASS_OPTIONS).fingerprint, a.fingerprint);
      const shuffled: ObjectSet = {
        ingresses: permute(objects.ingresses, keys), ingressClasses: permute(objects.ingressClasses, keys), services: permute(objects.services, keys),
        endpointSlices: permute(objects.endpointSlices, keys), secrets: permute(objects.secrets, keys), problems: objects.problems,
      };
      assert.equal(translate(shuffled, CLASS_OPTIONS).fingerprint, a.fingerprint, 'the order objects arrive in does not change the table');
      assert.ok(a.table.match('canary.test', '/x') !== undefined, 'the canary route survives any neighbours');
    }), fuzzOptions(200));
  });

  it('any snapshot is applied whole: no throw, the canary host keeps all its pods, admin views answer (property)', async () => {
    await fc.assert(fc.asyncProperty(objectSetArb(pool), async (set) => {
      rauta.reconciler.apply(merge(canary, set));
      await assertWhole();
    }), fuzzOptions(60));
  });

  /** Up to four mutations of `base` (values replaced, removed or retyped) through the file parser, translate and the swap. */
  async function mutatedManifests(base: readonly Obj[]): Promise<void> {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.array(fc.nat(), { maxLength: 8 }), wrongValue), { minLength: 1, maxLength: 4 }), async (mutations) => {
      let objects: unknown[] = [...base];
      for (const [which, path, replacement] of mutations) objects = objects.map((o, i) => (i === which ? mutate(o, path, replacement) : o));
      let parsed: ObjectSet;
      try {
        parsed = parseManifests([{ name: 'fuzz.yaml', text: toYaml(objects.filter((o) => o !== undefined) as Obj[]) }]);
      } catch (err) {
        // A whole-file rejection is a valid answer (the last good routes keep serving); anything else is a bug.
        assert.equal((err as { code?: string }).code, 'RAUTA_ERR_MANIFEST', String(err));
        return;
      }
      rauta.reconciler.apply({ ...parsed, ...merge(canary, parsed) });
      await assertWhole();
    }), fuzzOptions(60));
  }

  it('mutated Ingress manifests through the file parser, translate and the swap never throw (property)', async () => {
    await mutatedManifests([
      ingress('shop', {
        annotations: { 'rauta.io/retries': '2', 'nginx.ingress.kubernetes.io/rewrite-target': '/$2', 'nginx.ingress.kubernetes.io/use-regex': 'true', 'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8' },
        tls: [{ hosts: ['shop.test'], secretName: 'shop-tls' }],
        rules: [{ host: 'shop.test', paths: [{ path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'api', port: 8080 }, { path: '/', service: 'web' }] }],
      }),
      service('api', { ports: [{ name: 'http', port: 8080, targetPort: 9090 }] }),
      endpointSlice('api', 9090, [{ ip: '127.0.0.60', pod: 'api-0' }]),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', namespace: 'default' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'x', 'tls.key': 'y' } },
    ]);
  });

  it('mutated Gateway API manifests through the file parser, translate and the swap never throw (property)', async () => {
    await mutatedManifests([
      gatewayClass(),
      gateway('default', 'gw', [{ name: 'http', hostname: '*.gw.test', from: 'All' }, { name: 'https', protocol: 'HTTPS', certificateRefs: [{ name: 'gw-tls' }] }]),
      httpRoute('default', 'web', {
        parentRefs: [parent('default', 'gw')],
        hostnames: ['a.gw.test'],
        rules: [{
          matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-v', value: '2' }, { type: 'RegularExpression', name: 'x-r', value: '^a+$' }], queryParams: [{ name: 'q', value: '1' }], method: 'GET' }],
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: 'b' }], remove: ['x-c'] } },
            { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
          ],
          backendRefs: [backendRef('api', 8080, { weight: 3 }), backendRef('web', 80, { weight: 1, namespace: 'other' })],
        }, {
          matches: [{ path: { type: 'Exact', value: '/moved' } }],
          filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }],
        }],
      }),
      grpcRoute('default', 'rpc', { parentRefs: [parent('default', 'gw')], rules: [{ matches: [{ method: { service: 'pkg.Svc', method: 'Get' } }], backendRefs: [backendRef('api', 8080)] }] }),
      referenceGrant('other', 'allow', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }], [{ group: '', kind: 'Service' }]),
      service('api', { ports: [{ name: 'http', port: 8080, targetPort: 9090 }] }),
      endpointSlice('api', 9090, [{ ip: '127.0.0.60', pod: 'api-0' }]),
    ]);
  });
});
