import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { sendText } from './admin-server.ts';

/**
 * DNS-rebinding guard for an admin port without a token. A hostile page can make an operator's browser
 * send requests to the admin port under the attacker's own DNS name (which it re-points at 127.0.0.1 or a
 * pod address); the browser then treats the answers as same-origin and the page reads routes, pod
 * addresses and live requests. Such a request always carries that DNS name as Host, so answering only
 * to `localhost`, IP literals (kubelet probes and Prometheus address pods by IP) and names the operator
 * configured (a metrics Service) defeats it.
 */
export class HostAllowList {
  private readonly names: ReadonlySet<string>;

  constructor(names: readonly string[]) {
    this.names = new Set(names.map(normalize));
  }

  allows(hostHeader: string | undefined): boolean {
    // HTTP/1.0 clients may omit Host; browsers never do, so an absent Host is no rebinding.
    if (hostHeader === undefined || hostHeader === '') return true;
    const name = hostName(hostHeader);
    if (name === undefined) return false;
    if (isIP(name) !== 0) return true;
    if (name === 'localhost' || name.endsWith('.localhost')) return true;
    return this.names.has(name);
  }

  /** An AdminServer guard: 403 for a Host not on the list. */
  check(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.allows(req.headers.host)) return true;
    sendText(res, 403, 'admin: Host not allowed; add it to RAUTA_ADMIN_ALLOWED_HOSTS, or set RAUTA_ADMIN_TOKEN\n');
    return false;
  }
}

function normalize(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** The host part of a Host header (`[::1]:9000` → `::1`, `a.b:9000` → `a.b`); undefined when malformed. */
function hostName(header: string): string | undefined {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    if (end === -1) return undefined;
    const rest = header.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return header.slice(1, end).toLowerCase();
  }
  const colon = header.lastIndexOf(':');
  if (colon !== -1 && !/^\d{1,5}$/.test(header.slice(colon + 1))) return undefined;
  return normalize(colon === -1 ? header : header.slice(0, colon));
}
