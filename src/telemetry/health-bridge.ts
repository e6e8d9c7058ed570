import type { HealthChangeEvent } from '../proxy/health/types.ts';
import type { BackendHealthChange } from './control-events.ts';

/** `10.0.0.1:8080` or `[fd00::1]:8080` → ip and port. */
function splitKey(key: string): { ip: string; port: number } {
  const colon = key.lastIndexOf(':');
  const host = key.slice(0, colon);
  return { ip: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(key.slice(colon + 1)) };
}

/**
 * Health's transition in the shape `rauta.backends` publishes, with the words the log, /backends, the
 * web UI and the metrics use: `healthy`; `ejected` (passive outlier detection took it out for a while);
 * `unhealthy` (active probes failed). `check` says which mechanism decided.
 */
export function backendChangeOf(e: HealthChangeEvent): BackendHealthChange {
  const bad = e.newState !== 'healthy';
  const cause = bad ? e.newState : e.oldState;
  const check = cause === 'ejected' ? 'passive' : 'active';
  const reason = bad
    ? (check === 'passive' ? 'ConsecutiveErrors' : 'ProbeFailed')
    : (check === 'passive' ? 'EjectionExpired' : 'ProbePassed');
  return {
    namespace: e.namespace,
    service: e.service,
    endpoint: { ...splitKey(e.endpoint), pod: e.pod },
    previous: e.oldState,
    current: e.newState,
    check,
    reason,
    message: e.reason,
    at: new Date(e.at),
  };
}
