import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, type Socket, connect, createServer as createNetServer } from 'node:net';

/** What a test backend saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: readonly string[];
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface TestBackend {
  readonly server: Server;
  readonly ip: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A backend whose answer the test writes. The handler runs once the whole request body arrived (unless
 * `streaming` is set, then it gets the request as it starts).
 */
export async function startBackend(
  ip: string,
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  opts: { streaming?: boolean } = {},
): Promise<TestBackend> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    if (opts.streaming) {
      seen.push({ method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, rawHeaders: req.rawHeaders, headers: req.headers, body: Buffer.alloc(0) });
      handler(req, res, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, rawHeaders: req.rawHeaders, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, () => resolve());
  });
  return {
    server,
    ip,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A raw TCP backend: counts connections and bytes, answers nothing unless told. */
export async function startRawBackend(ip: string, onConnection: (socket: Socket) => void = () => {}): Promise<{ port: number; connections: number; received: () => string; close(): Promise<void> }> {
  let connections = 0;
  let data = '';
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    connections++;
    sockets.add(s);
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, ip, () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    received: () => data,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** A port on `ip` nobody listens on (bound, then released). */
export async function refusedPort(ip: string): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, ip, () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Writes raw bytes to RAUTA over a fresh connection and collects everything it answers until it closes
 * the connection (or `waitMs` passes).
 */
export function rawRequest(port: number, raw: string | Buffer, waitMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (d) => { out += d.toString('latin1'); });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.write(raw);
  });
}

/** Status code of the first response in a raw answer, or 0. */
export function rawStatus(raw: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return m ? Number(m[1]) : 0;
}

/** Header names and values of the first response head in a raw answer (names lower-cased). */
export function rawHeaders(raw: string): [string, string][] {
  const head = raw.split('\r\n\r\n')[0].split('\r\n').slice(1);
  return head.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as [string, string];
  });
}
