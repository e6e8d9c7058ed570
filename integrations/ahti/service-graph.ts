#!/usr/bin/env node
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type NatsConnection, connect } from 'nats';
import { toAhti } from './ahti-mapping.ts';
import { ServiceGraph } from './graph.ts';
import { isRequestEvent } from './request-event.ts';

/**
 * Subscribes to RAUTA's request events and serves the service graph they describe:
 *   GET /graph  the graph (nodes, edges with counts, error rates, p50/p99)
 *   GET /ahti   the same as AHTI entities and relationships
 *
 *   NATS_URL=nats://127.0.0.1:4222 SERVICE_GRAPH_PORT=8090 npm run example:service-graph
 */
export interface ServiceGraphOptions {
  readonly natsUrl: string;
  readonly token?: string;
  readonly subject?: string;
  readonly host?: string;
  readonly port?: number;
}

export interface RunningServiceGraph {
  readonly graph: ServiceGraph;
  readonly port: number;
  /** Messages on the subject that were not request events (bad JSON, other types). */
  readonly skipped: () => number;
  close(): Promise<void>;
}

export async function startServiceGraph(o: ServiceGraphOptions): Promise<RunningServiceGraph> {
  const graph = new ServiceGraph();
  let skipped = 0;
  const nc: NatsConnection = await connect({ servers: o.natsUrl, token: o.token, name: 'rauta-service-graph' });
  const decoder = new TextDecoder();
  nc.subscribe(o.subject ?? 'rauta.requests', {
    callback: (err, msg) => {
      if (err) return;
      let value: unknown;
      try {
        value = JSON.parse(decoder.decode(msg.data));
      } catch {
        skipped++;
        return;
      }
      if (isRequestEvent(value)) graph.add(value);
      else skipped++;
    },
  });
  await nc.flush(); // the subscription is registered on the server before we report ready

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const body = path === '/graph' ? graph.view() : path === '/ahti' ? toAhti(graph.view()) : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /graph or /ahti\n');
      return;
    }
    const text = `${JSON.stringify(body, null, 2)}\n`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8090, o.host ?? '127.0.0.1', resolve);
  });

  return {
    graph,
    port: (server.address() as AddressInfo).port,
    skipped: () => skipped,
    async close() {
      await nc.drain();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

if (import.meta.main) {
  const running = await startServiceGraph({
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    token: process.env.NATS_TOKEN,
    subject: process.env.RAUTA_NATS_SUBJECT ?? 'rauta.requests',
    host: process.env.SERVICE_GRAPH_HOST ?? '127.0.0.1',
    port: Number(process.env.SERVICE_GRAPH_PORT ?? 8090),
  });
  process.stdout.write(`service graph on http://127.0.0.1:${running.port}/graph (and /ahti)\n`);
  const stop = () => {
    process.stdout.write(`${JSON.stringify(running.graph.view().edges, null, 2)}\n`);
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
