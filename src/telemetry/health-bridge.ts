import type { HealthChangeEvent } from '../proxy/health/types.ts';
import type { BackendHealthChange } from './control-events.ts';

/** `10.0.0.1:8080` or `[fd00::1]:8080` → ip and port. */
function splitKey(key: string): { ip: string; port: number } {
  const colon = key.lastIndexOf(':');
  const host = key.slice(0, colon);
  return { ip: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(key.slice(colon + 1)) };
}

/**
 * Health's transition (healthy / ejected by passive detection / unhealthy by active probes) in the
 * shape `rauta.backends` publishes: ejected and unhealthy are both "unhealthy", told apart by `check`.
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
    previous: e.oldState === 'healthy' ? 'healthy' : 'unhealthy',
    current: bad ? 'unhealthy' : 'healthy',
    check,
    reason,
    message: e.reason,
    at: new Date(e.at),
  };
}
