import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who this backend pretends to be: the conformance suite's echo server reports the same fields. */
export interface EchoIdentity {
  readonly namespace: string;
  readonly ingress: string;
  readonly service: string;
  readonly pod: string;
}

export interface EchoServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A backend that answers every request with what it received, as JSON. Used by `npm start`'s demo and
 * by the tests (each "pod" listens on its own 127.0.0.x address).
 */
export function echoHandler(identity: EchoIdentity) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; });
    req.on('end', () => {
      const body = JSON.stringify({
        path: req.url,
        host: req.headers.host ?? '',
        method: req.method,
        proto: `HTTP/${req.httpVersion}`,
        headers: req.headers,
        body_bytes: size,
        ...identity,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

export function startEcho(identity: EchoIdentity, host = '127.0.0.1', port = 0): Promise<EchoServer> {
  const server = createServer(echoHandler(identity));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address() as AddressInfo;
      resolve({
        server,
        host,
        port: addr.port,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}
