/** How health sees an endpoint. `ejected`: passive outlier detection; `unhealthy`: active probes. */
export type HealthState = 'healthy' | 'ejected' | 'unhealthy';

/**
 * One health transition of one endpoint, as seen by one Service (an endpoint shared by two Services
 * yields one event per Service). Logged, counted, and the payload other sinks (NATS `rauta.backends`)
 * publish; keep it plain JSON.
 */
export interface HealthChangeEvent {
  /** `ip:port`. */
  readonly endpoint: string;
  readonly namespace: string;
  readonly service: string;
  readonly pod: string | undefined;
  readonly oldState: HealthState;
  readonly newState: HealthState;
  /** Why, for humans: "5 consecutive failures (last: RAUTA_ERR_UPSTREAM_CONNECT)", "ejection time over"… */
  readonly reason: string;
  /** ISO time of the transition. */
  readonly at: string;
}

export type HealthListener = (event: HealthChangeEvent) => void;

/** Per-endpoint health details for the admin API. */
export interface EndpointHealth {
  readonly health: HealthState;
  /** Epoch ms; undefined unless ejected. */
  readonly ejectedUntil: number | undefined;
  readonly consecutiveFailures: number;
}
