import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Paths a kubelet probes without credentials. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);
export const SESSION_COOKIE = 'rauta_admin';

/**
 * Optional bearer-token guard for the admin port (`RAUTA_ADMIN_TOKEN`).
 *
 * Scripts send `Authorization: Bearer <token>`. A browser cannot add that header to an EventSource
 * (the live request feed), so the page is opened once as `/?token=<token>`: the guard answers with an
 * HttpOnly, SameSite=Strict cookie and redirects to the same URL without the token, so the secret
 * does not stay in the address bar or history. The cookie holds an HMAC of the token, never the token.
 * All comparisons go through fixed-length digests and `timingSafeEqual`.
 */
export class AdminAuth {
  private readonly tokenDigest: Buffer;
  private readonly sessionValue: string;
  private readonly sessionDigest: Buffer;

  constructor(token: string) {
    this.tokenDigest = digest(token);
    this.sessionValue = createHmac('sha256', token).update('rauta-admin-session-v1').digest('base64url');
    this.sessionDigest = digest(this.sessionValue);
  }

  /** Returns true when the request may go on; otherwise it has answered (401 or the cookie redirect). */
  check(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (OPEN_PATHS.has(url.pathname)) return true;
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null) {
      if (!this.matches(queryToken, this.tokenDigest)) return deny(res);
      url.searchParams.delete('token');
      const location = `${url.pathname}${url.search}`;
      res.writeHead(303, {
        location,
        'set-cookie': `${SESSION_COOKIE}=${this.sessionValue}; Path=/; HttpOnly; SameSite=Strict`,
        'cache-control': 'no-store',
        'content-length': 0,
      });
      res.end();
      return false;
    }
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && this.matches(auth.slice(7).trim(), this.tokenDigest)) return true;
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie !== undefined && this.matches(cookie, this.sessionDigest)) return true;
    return deny(res);
  }

  private matches(candidate: string, expected: Buffer): boolean {
    return timingSafeEqual(digest(candidate), expected);
  }
}

function digest(value: string): Buffer {
  return createHmac('sha256', 'rauta-admin-compare').update(value).digest();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function deny(res: ServerResponse): false {
  const body = 'unauthorized: send "Authorization: Bearer <RAUTA_ADMIN_TOKEN>", or open the UI once as /?token=<RAUTA_ADMIN_TOKEN>\n';
  res.writeHead(401, {
    'www-authenticate': 'Bearer realm="rauta-admin"',
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
  return false;
}
