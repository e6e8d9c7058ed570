/**
 * Header handling for HTTP/1.1 forwarding (RFC 9110 §7.6.1): hop-by-hop headers, and any header the
 * `Connection` header names, stop at the proxy. Works on the flat `rawHeaders` list to keep case and
 * repeated headers (Set-Cookie) intact without building objects.
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authenticate', 'proxy-authorization', 'http2-settings',
]);

/**
 * `Expect: 100-continue` was already answered by RAUTA's own server (Node sends the 100); the backend
 * gets the body straight away, and the upstream client refuses the header anyway.
 */
const ANSWERED_HERE = 'expect';

/**
 * End-to-end headers that naming them in `Connection` never removes: `Connection: close, Host` would
 * otherwise hand the backend the pod's `ip:port` as Host, and naming the framing headers would make
 * the proxy, not the message, decide how the body is delimited. (The framing itself is decided apart
 * from this list: Transfer-Encoding is hop-by-hop and set again when a body needs it.)
 */
const NEVER_CONNECTION_NAMED = new Set(['host', 'content-length', 'transfer-encoding', 'content-type', 'content-encoding', 'cookie', 'set-cookie', 'date', 'location']);

/** Headers RAUTA sets itself on the way to the backend. */
const REPLACED_UPSTREAM = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-request-id', 'traceparent', 'tracestate']);

function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') {
      for (const t of raw[i + 1].split(',')) {
        const name = t.trim().toLowerCase();
        if (name !== '' && !NEVER_CONNECTION_NAMED.has(name)) (tokens ??= new Set()).add(name);
      }
    }
  }
  return tokens;
}

export interface ForwardedInfo {
  readonly clientIp: string;
  readonly proto: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  readonly requestId: string;
  /** The incoming X-Forwarded-For, to append to. */
  readonly priorForwardedFor: string | undefined;
}

/** Builds the flat header list for the upstream request. `extra` carries e.g. `traceparent`. */
export function upstreamRequestHeaders(raw: readonly string[], fwd: ForwardedInfo, extra: readonly string[] | undefined): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  let authority: string | undefined;
  let hasHost = false;
  let cookies: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // HTTP/2 pseudo-headers never travel upstream; :authority becomes Host (RFC 9113 §8.3.1).
    if (name.charCodeAt(0) === 58 /* : */) {
      if (name === ':authority') authority = raw[i + 1];
      continue;
    }
    // Header names with `_` are dropped, as nginx does by default (`underscores_in_headers off`): many
    // frameworks (CGI, WSGI, Rack, PHP) fold `-` and `_` together, so `X_Forwarded_For` or
    // `Transfer_Encoding` would reach the application as the header RAUTA set or refused.
    if (name.includes('_')) continue;
    const lower = name.toLowerCase();
    if (lower === 'host') hasHost = true;
    // HTTP/2 clients may split Cookie into one field per crumb; HTTP/1.1 allows a single
    // field, joined with "; " (RFC 9113 §8.2.3).
    if (lower === 'cookie') {
      (cookies ??= []).push(raw[i + 1]);
      continue;
    }
    if (HOP_BY_HOP.has(lower) || REPLACED_UPSTREAM.has(lower) || lower === ANSWERED_HERE || named?.has(lower)) {
      // Trace context is forwarded as received unless the observer supplies its own.
      if ((lower === 'traceparent' || lower === 'tracestate') && extra === undefined) out.push(name, raw[i + 1]);
      continue;
    }
    out.push(name, raw[i + 1]);
  }
  if (!hasHost && authority !== undefined) out.unshift('host', authority);
  if (cookies !== undefined) out.push('cookie', cookies.join('; '));
  out.push(
    'x-forwarded-for', fwd.priorForwardedFor ? `${fwd.priorForwardedFor}, ${fwd.clientIp}` : fwd.clientIp,
    'x-forwarded-proto', fwd.proto,
    'x-forwarded-host', fwd.host,
    'x-forwarded-port', String(fwd.port),
    'x-request-id', fwd.requestId,
  );
  if (extra) for (const h of extra) out.push(h);
  return out;
}

/** Filters a backend's response headers for the client; reports whether `Server` was present. */
export function downstreamResponseHeaders(raw: readonly string[], requestId: string): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  let hasServer = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower) || lower === 'x-request-id') continue;
    if (lower === 'server') hasServer = true;
    out.push(name, raw[i + 1]);
  }
  if (!hasServer) out.push('server', 'rauta');
  out.push('x-request-id', requestId);
  return out;
}

/** A client-supplied request id is kept only if it is short and printable (it lands in logs and events). */
export function acceptableRequestId(id: string | undefined): id is string {
  return id !== undefined && id.length > 0 && id.length <= 128 && /^[\x21-\x7e]+$/.test(id);
}
