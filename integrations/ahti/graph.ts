import type { RequestEvent } from './request-event.ts';

export type NodeKind = 'client' | 'ingress' | 'service' | 'pod';

export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly name: string;
  readonly namespace?: string;
}

export interface EdgeView {
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
  /** Nearest-rank percentiles over the last WINDOW requests on this edge, in milliseconds. */
  readonly p50_ms: number;
  readonly p99_ms: number;
}

export interface GraphView {
  readonly cluster: string | undefined;
  readonly events: number;
  /** Requests RAUTA answered without a route (404): they reach no ingress, so they make no edge. */
  readonly unrouted: number;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly EdgeView[];
}

const WINDOW = 1024;

class EdgeStats {
  readonly from: string;
  readonly to: string;
  requests = 0;
  errors = 0;
  private readonly latencies = new Float64Array(WINDOW);
  constructor(from: string, to: string) {
    this.from = from;
    this.to = to;
  }

  record(ms: number, failed: boolean): void {
    this.latencies[this.requests % WINDOW] = ms;
    this.requests++;
    if (failed) this.errors++;
  }

  view(): EdgeView {
    const sorted = this.latencies.slice(0, Math.min(this.requests, WINDOW)).sort();
    const rank = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]);
    return {
      from: this.from,
      to: this.to,
      requests: this.requests,
      errors: this.errors,
      error_rate: this.requests === 0 ? 0 : this.errors / this.requests,
      p50_ms: rank(0.5),
      p99_ms: rank(0.99),
    };
  }
}

/**
 * The service graph RAUTA's request events describe: client → ingress → service → pod. Each edge counts
 * requests and errors (5xx, or an outcome other than success) and keeps a latency window: edges up to
 * the service carry the total duration RAUTA measured, the service → pod edge the pod's own time
 * (`upstream_duration_ms`).
 */
export class ServiceGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly edges = new Map<string, EdgeStats>();
  private events = 0;
  private unrouted = 0;
  private cluster: string | undefined;

  add(e: RequestEvent): void {
    this.events++;
    this.cluster ??= e.context.cluster;
    const route = e.data.route;
    if (!route?.ingress) {
      this.unrouted++;
      return;
    }
    const ns = e.context.namespace ?? 'default';
    const failed = e.data.status_code >= 500 || e.outcome !== 'success';
    const client = this.node('client', e.data.client_ip || 'unknown');
    const ingress = this.node('ingress', route.ingress, ns);
    this.edge(client, ingress).record(e.data.duration_ms, failed);
    const backend = e.data.backend;
    if (!backend?.service) return;
    const service = this.node('service', backend.service, ns);
    this.edge(ingress, service).record(e.data.duration_ms, failed);
    const podName = backend.pod ?? (backend.pod_ip ? `${backend.pod_ip}:${backend.pod_port ?? ''}` : undefined);
    if (!podName) return; // no endpoint was picked (503 no endpoints): the request never reached a pod
    const pod = this.node('pod', podName, ns);
    this.edge(service, pod).record(e.data.upstream_duration_ms ?? e.data.duration_ms, failed);
  }

  view(): GraphView {
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const edges = [...this.edges.values()].map((s) => s.view());
    edges.sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1));
    return { cluster: this.cluster, events: this.events, unrouted: this.unrouted, nodes: [...this.nodes.values()].sort(byId), edges };
  }

  private node(kind: NodeKind, name: string, namespace?: string): string {
    const id = namespace === undefined ? `${kind}:${name}` : `${kind}:${namespace}/${name}`;
    if (!this.nodes.has(id)) this.nodes.set(id, namespace === undefined ? { id, kind, name } : { id, kind, name, namespace });
    return id;
  }

  private edge(from: string, to: string): EdgeStats {
    const key = `${from}\u0000${to}`;
    let s = this.edges.get(key);
    if (!s) this.edges.set(key, (s = new EdgeStats(from, to)));
    return s;
  }
}
