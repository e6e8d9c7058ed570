import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Logger } from 'pino';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
/** Runs before every handler; returns false when it has answered the request itself (e.g. 401, 403). */
export type AdminGuard = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * The operator's port (:9000). Features register their paths here; the server itself knows none of
 * them. It must never be exposed publicly: it shows routes, backends and live requests.
 */
export class AdminServer {
  private readonly handlers = new Map<string, AdminHandler>();
  private readonly prefixHandlers: [string, AdminHandler][] = [];
  private readonly guards: AdminGuard[] = [];
  readonly server: Server;
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger.child({ component: 'admin' });
    this.server = createServer((req, res) => this.dispatch(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** Registers an exact GET path (`/routes`), or a prefix when it ends with `/*`. */
  get(path: string, handler: AdminHandler): void {
    if (path.endsWith('/*')) this.prefixHandlers.push([path.slice(0, -1), handler]);
    else this.handlers.set(path, handler);
  }

  /** Adds an access guard (Host allow-list, admin token), run in order; guards see every request, 404s included. */
  guard(fn: AdminGuard): void {
    this.guards.push(fn);
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (err) {
      // A request must never be able to end the process: whatever a handler's synchronous part throws
      // becomes a 500 for that request alone.
      this.logger.error({ err }, 'admin request failed');
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    // Any request target a client sends is hostile: `GET http://[ HTTP/1.1` is one that new URL() throws on.
    const url = URL.parse(req.url ?? '/', 'http://admin');
    if (url === null) return sendText(res, 400, 'bad request target\n');
    for (const g of this.guards) if (!g(req, res, url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed\n');
    }
    const handler = this.handlers.get(url.pathname) ?? this.prefixHandlers.find(([p]) => url.pathname.startsWith(p))?.[1];
    if (!handler) return sendText(res, 404, `no admin endpoint ${url.pathname}\n`);
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        this.logger.error({ err }, 'admin handler failed');
        if (!res.headersSent) sendText(res, 500, 'internal error\n');
        else res.destroy();
      });
  }
}
