/**
 * The fields of RAUTA's request event (schemas/request-event.v1.json, subject `rauta.requests`) that the
 * service graph reads. Everything else in the event is ignored, so newer minor versions still work.
 */
export interface RequestEventRoute {
  readonly ingress: string;
  readonly host?: string;
  readonly path?: string;
  readonly path_type?: string;
}

export interface RequestEventBackend {
  readonly service: string;
  readonly service_port?: string | number;
  readonly pod?: string | null;
  readonly pod_ip?: string | null;
  readonly pod_port?: number | null;
  readonly node?: string | null;
  readonly zone?: string | null;
}

export interface RequestEvent {
  readonly id: string;
  readonly timestamp: string;
  readonly source: string;
  readonly type: string;
  readonly protocol_version: string;
  readonly severity: string;
  readonly outcome: 'success' | 'failure' | 'timeout';
  readonly error?: { readonly code: string; readonly message: string };
  readonly context: {
    readonly cluster?: string;
    readonly namespace?: string;
    readonly node?: string;
    readonly trace_id?: string;
    readonly span_id?: string;
    readonly entities?: readonly { readonly kind: string; readonly id: string; readonly name: string }[];
    readonly correlation_keys?: readonly string[];
  };
  readonly data: {
    readonly request_id: string;
    readonly method: string;
    readonly status_code: number;
    readonly duration_ms: number;
    readonly upstream_duration_ms?: number | null;
    readonly client_ip: string;
    readonly route?: RequestEventRoute | null;
    readonly backend?: RequestEventBackend | null;
  };
}

/** A cheap structural check: enough to skip foreign messages on the subject without crashing. */
export function isRequestEvent(v: unknown): v is RequestEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<RequestEvent>;
  return e.type === 'http.request' && typeof e.data === 'object' && e.data !== null && typeof e.data.status_code === 'number'
    && typeof e.data.duration_ms === 'number' && typeof e.context === 'object' && e.context !== null;
}
