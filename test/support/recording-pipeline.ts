import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { ActiveRequests } from '../../src/proxy/active-requests.ts';
import { Balancer } from '../../src/proxy/balance/balancer.ts';
import type { ProxyDeps } from '../../src/proxy/http1-handler.ts';
import { createHttpServer } from '../../src/proxy/http-server.ts';
import { InFlight } from '../../src/proxy/in-flight.ts';
import { type Mirror, createMirror } from '../../src/proxy/policy/mirror.ts';
import { PolicyRuntime } from '../../src/proxy/policy/runtime.ts';
import { type Protocols, createProtocols } from '../../src/proxy/protocols.ts';
import { serving } from '../../src/proxy/serving.ts';
import type { RequestObserver, RequestRecord } from '../../src/proxy/request-record.ts';
import { RouteState } from '../../src/routing/route-state.ts';
import { createUpstreamClient } from '../../src/proxy/upstream-client.ts';
import { RouteTable } from '../../src/routing/route-table.ts';
import { type ObjectSet, keptConfigMapData } from '../../src/sources/object-set.ts';
import { translate } from '../../src/translate/translate.ts';
import type { Obj } from './manifests.ts';

export interface RecordingPipeline {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly routes: RouteState;
  readonly protocols: Protocols;
  readonly active: ActiveRequests;
  /** Records passed to `observer.finish`, in order. */
  readonly finished: RequestRecord[];
  /** The mirror sender (counts copies sent, dropped, failed). */
  readonly mirror: Mirror;
  /** Replaces the objects the route table is built from. */
  apply(objects: readonly Obj[]): void;
  stop(): Promise<void>;
}

function objectSet(objects: readonly Obj[]): ObjectSet {
  const of = (kind: string) => objects.filter((o) => o.kind === kind) as never[];
  // ConfigMaps are trimmed as both sources trim them.
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap').map((o) => ({ metadata: o.metadata, ...keptConfigMapData(o.data) })) as never[];
  return { ingresses: of('Ingress'), ingressClasses: of('IngressClass'), services: of('Service'), endpointSlices: of('EndpointSlice'), secrets: of('Secret'), configMaps, problems: [] };
}

/**
 * The proxy pipeline (both listeners) wired like main.ts, but with an observer that keeps every
 * finished RequestRecord, for tests about what the records say.
 */
export async function startRecordingPipeline(objects: readonly Obj[], env: Record<string, string> = {}): Promise<RecordingPipeline> {
  const { config } = loadConfig([], { RAUTA_HTTP_PORT: '0', RAUTA_HTTPS_PORT: '0', RAUTA_BIND_ADDRESS: '127.0.0.1', ...env });
  const routes = new RouteState(RouteTable.empty());
  const balancer = new Balancer();
  routes.participate({ name: 'balancer', prepare: ({ table }) => balancer.prepare(table) });
  const protocols = await createProtocols(config, routes, pino({ level: 'silent' }), undefined, serving);
  const finished: RequestRecord[] = [];
  const observer: RequestObserver = {
    start() {},
    upstreamHeaders: () => undefined,
    attemptFinished() {},
    finish: (rec) => { finished.push(rec); },
  };
  const active = new ActiveRequests();
  const upstream = createUpstreamClient({ connectTimeoutMs: 2000, idleTimeoutMs: 4000 });
  const mirror = createMirror({ table: () => routes.table, dispatcher: upstream, timeoutMs: 10_000 });
  const policy = new PolicyRuntime({ idleTimeoutMs: 4000, mirror });
  const deps: ProxyDeps = {
    routes, balancer, observer, upstream, active, inFlight: new InFlight(),
    connectTimeoutMs: 2000, responseTimeoutMs: 10_000, draining: () => false, forwardH2c: protocols.forwardH2c, policy,
  };
  const apply = (objs: readonly Obj[]) => routes.swap(translate(objectSet(objs), { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller', allowedResponseHeaders: config.allowedResponseHeaders }).table);
  apply(objects);
  const http = createHttpServer(deps, { maxHeaderSize: 32768, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5000 });
  const plain = protocols.plain(http, deps);
  const httpPort = await new Promise<number>((resolve) => plain.listen(0, '127.0.0.1', () => resolve((plain.address() as AddressInfo).port)));
  const httpsPort = await protocols.listenHttps(deps);
  return {
    httpPort, httpsPort, routes, protocols, active, finished, apply, mirror,
    async stop() {
      http.close();
      protocols.stopAccepting();
      http.closeAllConnections();
      protocols.close();
      void upstream.destroy();
      void policy.close();
    },
  };
}
