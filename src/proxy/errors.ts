import { RautaError } from '../errors.ts';

/**
 * Every response RAUTA makes itself has a stable code, an HTTP status and a cause on one side of the
 * proxy (the client, the upstream or RAUTA itself). The codes appear in events, logs and error bodies;
 * treat them as API.
 */
export type ErrorSide = 'downstream' | 'upstream' | 'internal';

export interface ErrorKind {
  readonly code: string;
  readonly status: number;
  readonly side: ErrorSide;
  /** Safe to try another endpoint: nothing reached the backend that it could have acted on. */
  readonly retryable: boolean;
  readonly outcome: 'failure' | 'timeout';
  readonly title: string;
}

const kind = (code: string, status: number, side: ErrorSide, retryable: boolean, title: string, outcome: 'failure' | 'timeout' = 'failure'): ErrorKind =>
  Object.freeze({ code, status, side, retryable, outcome, title });

export const ErrorKinds = {
  badRequest: kind('RAUTA_ERR_BAD_REQUEST', 400, 'downstream', false, 'Bad Request'),
  requestTimeout: kind('RAUTA_ERR_CLIENT_TIMEOUT', 408, 'downstream', false, 'Request Timeout', 'timeout'),
  headersTooLarge: kind('RAUTA_ERR_HEADERS_TOO_LARGE', 431, 'downstream', false, 'Request Header Fields Too Large'),
  methodNotAllowed: kind('RAUTA_ERR_METHOD_NOT_ALLOWED', 405, 'downstream', false, 'Method Not Allowed'),
  clientAborted: kind('RAUTA_ERR_CLIENT_ABORTED', 499, 'downstream', false, 'Client Closed Request'),
  noRoute: kind('RAUTA_ERR_NO_ROUTE', 404, 'internal', false, 'Not Found'),
  backendUnavailable: kind('RAUTA_ERR_BACKEND_INVALID', 503, 'internal', false, 'Service Unavailable'),
  /** A Gateway API backendRef that cannot be used: the spec wants 500 for its share of the traffic. */
  backendRefInvalid: kind('RAUTA_ERR_BACKEND_REF_INVALID', 500, 'internal', false, 'Internal Server Error'),
  noEndpoints: kind('RAUTA_ERR_NO_ENDPOINTS', 503, 'internal', false, 'Service Unavailable'),
  shuttingDown: kind('RAUTA_ERR_SHUTTING_DOWN', 503, 'internal', false, 'Service Unavailable'),
  // Retryable: nothing was sent, and another endpoint may have room. Not counted against the endpoint's health.
  upstreamOverloaded: kind('RAUTA_ERR_UPSTREAM_OVERLOADED', 503, 'internal', true, 'Service Unavailable'),
  upstreamConnect: kind('RAUTA_ERR_UPSTREAM_CONNECT', 502, 'upstream', true, 'Bad Gateway'),
  upstreamConnectTimeout: kind('RAUTA_ERR_UPSTREAM_CONNECT_TIMEOUT', 504, 'upstream', true, 'Gateway Timeout', 'timeout'),
  upstreamReset: kind('RAUTA_ERR_UPSTREAM_RESET', 502, 'upstream', false, 'Bad Gateway'),
  upstreamTimeout: kind('RAUTA_ERR_UPSTREAM_TIMEOUT', 504, 'upstream', false, 'Gateway Timeout', 'timeout'),
  upstreamProtocol: kind('RAUTA_ERR_UPSTREAM_PROTOCOL', 502, 'upstream', false, 'Bad Gateway'),
  internal: kind('RAUTA_ERR_INTERNAL', 500, 'internal', false, 'Internal Server Error'),
  // Traffic policy (src/proxy/policy/): answers a route's own rules give.
  forbidden: kind('RAUTA_ERR_FORBIDDEN', 403, 'downstream', false, 'Forbidden'),
  unauthorized: kind('RAUTA_ERR_UNAUTHORIZED', 401, 'downstream', false, 'Unauthorized'),
  bodyTooLarge: kind('RAUTA_ERR_BODY_TOO_LARGE', 413, 'downstream', false, 'Content Too Large'),
  rateLimited: kind('RAUTA_ERR_RATE_LIMITED', 503, 'downstream', false, 'Service Unavailable'),
  policyUnavailable: kind('RAUTA_ERR_POLICY_UNAVAILABLE', 503, 'internal', false, 'Service Unavailable'),
  authFailed: kind('RAUTA_ERR_AUTH_SERVICE', 500, 'upstream', false, 'Internal Server Error'),
  /** auth-tls-*: no valid client certificate (400, as nginx), or one verified for another host (421). */
  clientCertificate: kind('RAUTA_ERR_CLIENT_CERTIFICATE', 400, 'downstream', false, 'Bad Request'),
  /** The backend's answer had a status the route serves error pages for, and no page could be fetched. */
  upstreamErrorPage: kind('RAUTA_ERR_ERROR_PAGE', 502, 'upstream', false, 'Error'),
} as const;

/** The same kind answering with another status (rate limits let the route choose theirs). */
export function withStatus(k: ErrorKind, status: number): ErrorKind {
  return status === k.status ? k : Object.freeze({ ...k, status });
}

/** A failure RAUTA answers a client for; `code` is its kind's code. */
export class ProxyError extends RautaError {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(kind.code, message, options);
    this.kind = kind;
  }
}

/** Classifies a socket-level failure of an upstream attempt. */
export function upstreamFailure(err: unknown, connected: boolean): ProxyError {
  if (err instanceof ProxyError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = (err as Error | undefined)?.message ?? String(err);
  if (!connected || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return new ProxyError(ErrorKinds.upstreamConnect, `connect failed: ${message}`, { cause: err });
  }
  if (code.startsWith('HPE_')) return new ProxyError(ErrorKinds.upstreamProtocol, `invalid response: ${message}`, { cause: err });
  return new ProxyError(ErrorKinds.upstreamReset, `connection reset: ${message}`, { cause: err });
}

/** The error for a route whose backend cannot serve (see Backend.unavailable). */
export function unavailableBackendError(unavailable: { readonly message: string; readonly status?: 500 | 503 }): ProxyError {
  return new ProxyError(unavailable.status === 500 ? ErrorKinds.backendRefInvalid : ErrorKinds.backendUnavailable, unavailable.message);
}
