/**
 * The status translation computes for the Gateway API objects RAUTA owns, as plain data. The leader
 * writes it back (src/status/gateway-status.ts), adding what translation cannot know: addresses and
 * transition times. Kept in the route table so status always describes the table that is served.
 */
export interface StatusCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export interface GatewayClassStatusEntry {
  readonly name: string;
  readonly generation: number | undefined;
  readonly conditions: readonly StatusCondition[];
}

export interface RouteGroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface ListenerStatusEntry {
  readonly name: string;
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly attachedRoutes: number;
  readonly conditions: readonly StatusCondition[];
}

export interface GatewayStatusEntry {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number | undefined;
  readonly conditions: readonly StatusCondition[];
  readonly listeners: readonly ListenerStatusEntry[];
}

/** A route's parentRef as written in status (the spec wants it echoed back as given). */
export interface ParentReference {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
}

export interface RouteParentStatusEntry {
  readonly parentRef: ParentReference;
  readonly conditions: readonly StatusCondition[];
}

export interface RouteStatusEntry {
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
  readonly namespace: string;
  readonly name: string;
  readonly generation: number | undefined;
  readonly parents: readonly RouteParentStatusEntry[];
}

export interface GatewayStatusReport {
  readonly controllerName: string;
  readonly classes: readonly GatewayClassStatusEntry[];
  readonly gateways: readonly GatewayStatusEntry[];
  readonly routes: readonly RouteStatusEntry[];
}
