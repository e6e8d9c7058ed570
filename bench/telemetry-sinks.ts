import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Child, hasBinary, startChild, waitForHttp } from './process.ts';

import { findTool } from '../scripts/system-tools.ts';

const NATS_SERVER = findTool('nats-server');

/** A private nats-server for the `rauta` target's events, with its monitoring port for message counts. */
export interface BenchNats {
  readonly url: string;
  readonly child: Child;
  /** Messages the server has received so far (from /varz), or undefined if it cannot be read. */
  inMsgs(): Promise<number | undefined>;
}

export function hasNatsServer(): boolean {
  return NATS_SERVER !== undefined && hasBinary(NATS_SERVER);
}

export async function startNats(dir: string, port: number, monitorPort: number, core: number | undefined): Promise<BenchNats> {
  if (NATS_SERVER === undefined) throw new Error('nats-server not found');
  const bin = NATS_SERVER;
  const child = startChild('nats-server', bin, ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-P', join(dir, 'nats.pid')], { core });
  await waitForHttp(child, monitorPort, { path: '/healthz' });
  return {
    url: `nats://127.0.0.1:${port}`,
    child,
    async inMsgs() {
      try {
        const res = await fetch(`http://127.0.0.1:${monitorPort}/varz`);
        const varz = (await res.json()) as { in_msgs?: number };
        return varz.in_msgs;
      } catch {
        return undefined;
      }
    },
  };
}

/** An OTLP/HTTP receiver that accepts every export with 200 and only counts what arrived. */
export interface OtlpReceiver {
  readonly endpoint: string;
  readonly stats: { requests: number; bytes: number };
  close(): Promise<void>;
}

export function startOtlpReceiver(): Promise<OtlpReceiver> {
  const stats = { requests: 0, bytes: 0 };
  const server: Server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      stats.bytes += c.length;
    });
    req.on('end', () => {
      stats.requests++;
      // An empty ExportTraceServiceResponse: zero bytes in protobuf, `{}` in JSON.
      const json = (req.headers['content-type'] ?? '').includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        stats,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}
