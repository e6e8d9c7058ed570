import { type IncomingMessage, type RequestListener, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { echoHandler } from '../../src/demo/echo-server.ts';

export interface PodSpec {
  readonly ip: string;
  readonly pod: string;
}

/** Per-pod request handler; the default is the echo backend. */
export type HandlerFor = (spec: PodSpec) => RequestListener;

/**
 * "Pods" of one Service: one HTTP server per 127.0.0.x address, all on the same port (an EndpointSlice
 * has one port for all its endpoints). A pod can be stopped (connections refused) and started again.
 */
export class Pods {
  readonly specs: readonly PodSpec[];
  port = 0;
  private readonly servers = new Map<string, Server>();
  private readonly handlerFor: HandlerFor;

  private constructor(service: string, specs: readonly PodSpec[], handlerFor: HandlerFor | undefined) {
    this.specs = specs;
    this.handlerFor = handlerFor ?? ((s) => echoHandler({ namespace: 'default', ingress: service, service, pod: s.pod }));
  }

  /** `ips` like ['127.0.5.1', …]; pods are named `${service}-0`, `${service}-1`… */
  static async start(service: string, ips: readonly string[], handlerFor?: HandlerFor): Promise<Pods> {
    const pods = new Pods(service, ips.map((ip, i) => ({ ip, pod: `${service}-${i}` })), handlerFor);
    // The first pod picks a free port; another process may hold it on a sibling address, so retry.
    for (let attempt = 0; ; attempt++) {
      try {
        pods.port = 0;
        for (const spec of pods.specs) await pods.startPod(spec.pod);
        return pods;
      } catch (err) {
        await pods.close();
        if (attempt >= 5) throw err;
      }
    }
  }

  get endpoints() {
    return this.specs.map((s) => ({ ip: s.ip, pod: s.pod }));
  }

  async startPod(pod: string): Promise<void> {
    const spec = this.specs.find((s) => s.pod === pod);
    if (!spec) throw new Error(`no pod ${pod}`);
    const server = createServer({ keepAliveTimeout: 5000 }, this.handlerFor(spec));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, spec.ip, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.servers.set(pod, server);
  }

  /** Closes the pod's listener and every connection: new connections are refused. */
  async stopPod(pod: string): Promise<void> {
    const server = this.servers.get(pod);
    if (!server) return;
    this.servers.delete(pod);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((p) => this.stopPod(p)));
  }
}

export interface Reply {
  readonly status: number;
  readonly pod: string | undefined;
}

/** One request over a fresh connection, optionally from a given loopback source address. */
export function hit(port: number, path: string, headers: Record<string, string>, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, localAddress }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let pod: string | undefined;
        try {
          pod = (JSON.parse(body) as { pod?: string }).pod;
        } catch {
          pod = undefined;
        }
        resolve({ status: res.statusCode ?? 0, pod });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `count` requests, at most `concurrency` at once; resolves with every reply (errors as status 0). */
export async function load(count: number, concurrency: number, send: (i: number) => Promise<Reply>): Promise<Reply[]> {
  const replies: Reply[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      replies.push(await send(i).catch(() => ({ status: 0, pod: undefined })));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return replies;
}

export function tally(replies: readonly Reply[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of replies) if (r.pod !== undefined) m.set(r.pod, (m.get(r.pod) ?? 0) + 1);
  return m;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 25 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
