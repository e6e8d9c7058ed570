import type { GraphView, NodeKind } from './graph.ts';

/**
 * The service graph as AHTI ingests it: entities and the relationships between them. Entity ids use the
 * `namespace/name` form of the `ingress:`, `service:` and `pod:` correlation keys in RAUTA's events, so
 * AHTI can join what RAUTA reports with what it learns from the Kubernetes API and from TAPIO.
 */
export interface AhtiEntity {
  readonly type: string;
  readonly id: string;
  readonly name: string;
  readonly namespace?: string;
  readonly cluster?: string;
}

export interface AhtiRelationship {
  readonly type: string;
  readonly source: string;
  readonly target: string;
  readonly properties: {
    readonly requests: number;
    readonly errors: number;
    readonly error_rate: number;
    readonly p50_ms: number;
    readonly p99_ms: number;
  };
}

export interface AhtiBatch {
  readonly source: 'rauta';
  readonly entities: readonly AhtiEntity[];
  readonly relationships: readonly AhtiRelationship[];
}

const ENTITY_TYPE: Record<NodeKind, string> = {
  client: 'network.client',
  ingress: 'k8s.ingress',
  service: 'k8s.service',
  pod: 'k8s.pod',
};

/** client → ingress: sends_to; ingress → service: routes_to; service → pod: served_by. */
const RELATIONSHIP_TYPE: Record<string, string> = {
  'client>ingress': 'sends_to',
  'ingress>service': 'routes_to',
  'service>pod': 'served_by',
};

const kindOf = (id: string) => id.slice(0, id.indexOf(':'));
const entityId = (id: string) => id.slice(id.indexOf(':') + 1);

export function toAhti(graph: GraphView): AhtiBatch {
  const entities = graph.nodes.map((n): AhtiEntity => ({
    type: ENTITY_TYPE[n.kind],
    id: entityId(n.id),
    name: n.name,
    ...(n.namespace !== undefined ? { namespace: n.namespace } : {}),
    ...(graph.cluster !== undefined ? { cluster: graph.cluster } : {}),
  }));
  const relationships = graph.edges.map((e): AhtiRelationship => ({
    type: RELATIONSHIP_TYPE[`${kindOf(e.from)}>${kindOf(e.to)}`] ?? 'related_to',
    source: `${ENTITY_TYPE[kindOf(e.from) as NodeKind]}/${entityId(e.from)}`,
    target: `${ENTITY_TYPE[kindOf(e.to) as NodeKind]}/${entityId(e.to)}`,
    properties: { requests: e.requests, errors: e.errors, error_rate: e.error_rate, p50_ms: e.p50_ms, p99_ms: e.p99_ms },
  }));
  return { source: 'rauta', entities, relationships };
}
