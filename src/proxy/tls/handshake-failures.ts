/** Every reason a failed handshake is classified as: a closed set, so it can be a metric label. */
export const HANDSHAKE_FAILURE_REASONS = ['protocol_version', 'no_shared_cipher', 'plain_http', 'timeout', 'reset', 'other'] as const;

/** One failed TLS handshake: `reason` is a short stable label, `code` the OpenSSL/Node error code. */
export interface HandshakeFailure {
  readonly reason: (typeof HANDSHAKE_FAILURE_REASONS)[number];
  readonly code: string;
  readonly servername: string | undefined;
  readonly clientIp: string;
}

/**
 * Counts failed TLS handshakes. The telemetry layer subscribes (e.g. to turn them into a
 * `rauta_tls_handshake_failures_total{reason}` counter) without the listener knowing about metrics.
 */
export class HandshakeFailures {
  private count = 0;
  private readonly perReason = new Map<HandshakeFailure['reason'], number>();
  private readonly listeners: ((f: HandshakeFailure) => void)[] = [];

  get total(): number {
    return this.count;
  }

  byReason(): ReadonlyMap<HandshakeFailure['reason'], number> {
    return this.perReason;
  }

  onFailure(listener: (f: HandshakeFailure) => void): void {
    this.listeners.push(listener);
  }

  record(err: NodeJS.ErrnoException, servername: string | undefined, clientIp: string): void {
    const code = err.code ?? 'UNKNOWN';
    const f: HandshakeFailure = { reason: classify(code, err.message), code, servername, clientIp };
    this.count++;
    this.perReason.set(f.reason, (this.perReason.get(f.reason) ?? 0) + 1);
    for (const l of this.listeners) l(f);
  }
}

function classify(code: string, message: string): HandshakeFailure['reason'] {
  if (code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || /wrong version number|unsupported protocol|version too low/i.test(message)) return 'protocol_version';
  if (code === 'ERR_SSL_NO_SHARED_CIPHER' || /no shared cipher|no suitable/i.test(message)) return 'no_shared_cipher';
  if (code === 'ERR_SSL_HTTP_REQUEST') return 'plain_http';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  return 'other';
}
