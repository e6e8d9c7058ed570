import type { Obj } from './manifests.ts';

/** Builders for Gateway API test objects (gateway.networking.k8s.io, standard channel). */
export const GATEWAY_API = 'gateway.networking.k8s.io/v1';
export const GATEWAY_CONTROLLER = 'rauta.io/gateway-controller';

export function gatewayClass(name = 'rauta', controllerName = GATEWAY_CONTROLLER): Obj {
  return { apiVersion: GATEWAY_API, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } };
}

export interface ListenerSpec {
  readonly name: string;
  readonly protocol?: string;
  readonly port?: number;
  readonly hostname?: string;
  readonly from?: 'Same' | 'All' | 'Selector';
  readonly selector?: Obj;
  readonly kinds?: readonly { group?: string; kind: string }[];
  readonly certificateRefs?: readonly { name: string; namespace?: string; kind?: string; group?: string }[];
}

export function gateway(namespace: string, name: string, listeners: readonly ListenerSpec[], className = 'rauta'): Obj {
  return {
    apiVersion: GATEWAY_API,
    kind: 'Gateway',
    metadata: { name, namespace },
    spec: {
      gatewayClassName: className,
      listeners: listeners.map((l) => ({
        name: l.name,
        protocol: l.protocol ?? 'HTTP',
        port: l.port ?? (l.protocol === 'HTTPS' ? 443 : 80),
        ...(l.hostname !== undefined ? { hostname: l.hostname } : {}),
        ...(l.certificateRefs !== undefined ? { tls: { mode: 'Terminate', certificateRefs: l.certificateRefs } } : {}),
        allowedRoutes: {
          namespaces: { from: l.from ?? 'Same', ...(l.selector !== undefined ? { selector: l.selector } : {}) },
          ...(l.kinds !== undefined ? { kinds: l.kinds } : {}),
        },
      })),
    },
  };
}

export interface RouteSpec {
  readonly parentRefs: readonly Obj[];
  readonly hostnames?: readonly string[];
  readonly rules: readonly Obj[];
  readonly creationTimestamp?: string;
}

export function httpRoute(namespace: string, name: string, spec: RouteSpec): Obj {
  return {
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: { name, namespace, ...(spec.creationTimestamp ? { creationTimestamp: spec.creationTimestamp } : {}) },
    spec: { parentRefs: spec.parentRefs, ...(spec.hostnames ? { hostnames: spec.hostnames } : {}), rules: spec.rules },
  };
}

export function grpcRoute(namespace: string, name: string, spec: RouteSpec): Obj {
  return { ...httpRoute(namespace, name, spec), kind: 'GRPCRoute' };
}

export function referenceGrant(namespace: string, name: string, from: Obj[], to: Obj[]): Obj {
  return { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name, namespace }, spec: { from, to } };
}

export const parent = (namespace: string, name: string, extra: Obj = {}): Obj => ({ name, namespace, ...extra });
export const backendRef = (name: string, port = 8080, extra: Obj = {}): Obj => ({ name, port, ...extra });
