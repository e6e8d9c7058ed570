import { join } from 'node:path';
import { hasNginx, startNginxProxy, startNginxUpstream } from './nginx.ts';
import { type Child, freePort, startChild, waitForHttp } from './process.ts';
import { BENCH_HOST, NODE, startRauta, telemetrySupport } from './rauta-target.ts';
import { type BenchNats, type OtlpReceiver, hasNatsServer, startNats, startOtlpReceiver } from './telemetry-sinks.ts';

export const TARGET_NAMES = ['direct', 'nginx', 'node-peer', 'rauta-bare', 'rauta'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  readonly name: TargetName;
  readonly port: number;
  /** Root of the process tree whose CPU and memory are measured. */
  readonly pid: number;
  /** What this target really is in this run (e.g. which telemetry is on). */
  readonly note: string;
}

export interface Upstream {
  readonly kind: 'nginx' | 'node';
  readonly port: number;
  readonly child: Child;
}

/** Cores: the load generator, the upstream and the bench's helpers share LOAD_CORE; each target gets TARGET_CORE. */
export const LOAD_CORE = 0;
export const TARGET_CORE = 1;

const BENCH_DIR = new URL('.', import.meta.url).pathname;

export async function startUpstream(dir: string, core: number | undefined): Promise<Upstream> {
  const port = await freePort();
  const child = hasNginx()
    ? startNginxUpstream(join(dir, 'upstream'), port, core)
    : startChild('upstream (node fallback)', NODE, [join(BENCH_DIR, 'node-upstream.ts'), String(port)], { core });
  await waitForHttp(child, port);
  return { kind: hasNginx() ? 'nginx' : 'node', port, child };
}

/** Owns every process and server the targets need, so one `stop()` cleans all of them up. */
export class TargetSet {
  readonly targets: Target[] = [];
  private readonly children: Child[] = [];
  private nats: BenchNats | undefined;
  private otlp: OtlpReceiver | undefined;

  async start(dir: string, upstream: Upstream, wanted: readonly TargetName[], opts: { rautaNodeFlags?: readonly string[] } = {}): Promise<void> {
    for (const name of wanted) this.targets.push(await this.startOne(name, dir, upstream, opts.rautaNodeFlags ?? []));
  }

  private keep(child: Child): Child {
    this.children.push(child);
    return child;
  }

  private async startOne(name: TargetName, dir: string, upstream: Upstream, rautaNodeFlags: readonly string[]): Promise<Target> {
    switch (name) {
      case 'direct':
        return { name, port: upstream.port, pid: upstream.child.pid, note: `the upstream itself (${upstream.kind}${upstream.kind === 'node' ? ' fallback: nginx not installed' : ''})` };
      case 'nginx': {
        if (!hasNginx()) throw new Error('the nginx target needs nginx: apt-get install nginx');
        const port = await freePort();
        const child = this.keep(startNginxProxy(join(dir, 'nginx-proxy'), port, upstream.port, TARGET_CORE));
        await waitForHttp(child, port, { host: BENCH_HOST });
        return { name, port, pid: child.pid, note: 'nginx reverse proxy, 1 worker, upstream keepalive' };
      }
      case 'node-peer': {
        const port = await freePort();
        const child = this.keep(startChild('node-peer', NODE, [join(BENCH_DIR, 'node-peer.ts'), String(port), String(upstream.port)], { core: TARGET_CORE }));
        await waitForHttp(child, port, { host: BENCH_HOST });
        return { name, port, pid: child.pid, note: 'http-proxy + keep-alive http.Agent' };
      }
      case 'rauta-bare': {
        // Every sink that can be switched off is: no NATS, no OTLP, no ring buffer.
        const r = await startRauta({ name, dir, upstreamPort: upstream.port, core: TARGET_CORE, env: { RAUTA_RING_SIZE: '0', RAUTA_WORKERS: '1' }, nodeFlags: rautaNodeFlags });
        this.keep(r.child);
        const metrics = r.adminFeatures.includes('/metrics') ? '; Prometheus metrics (cannot be switched off)' : '';
        return { name, port: r.port, pid: r.child.pid, note: `no NATS, no OTLP, ring buffer size 0${metrics}` };
      }
      case 'rauta': {
        const support = telemetrySupport();
        // One process on its one core (the per-core comparison); workers are measured in bench/scaling.ts.
        const env: Record<string, string> = { RAUTA_WORKERS: '1' };
        const on: string[] = [];
        const missing: string[] = [];
        if (support.nats && hasNatsServer()) {
          this.nats ??= await startNats(dir, await freePort(), await freePort(), LOAD_CORE);
          this.keep(this.nats.child);
          env.NATS_URL = this.nats.url;
          on.push('NATS');
        } else missing.push(support.nats ? 'NATS (nats-server not installed)' : 'NATS (NATS_URL unknown to this build)');
        if (support.otlp) {
          this.otlp ??= await startOtlpReceiver();
          env.OTEL_EXPORTER_OTLP_ENDPOINT = this.otlp.endpoint;
          on.push('OTLP');
        } else missing.push('OTLP (OTEL_EXPORTER_OTLP_ENDPOINT unknown to this build)');
        const r = await startRauta({ name, dir, upstreamPort: upstream.port, core: TARGET_CORE, env, nodeFlags: rautaNodeFlags });
        this.keep(r.child);
        for (const f of r.adminFeatures) on.push(f === '/metrics' ? 'Prometheus /metrics' : f === '/requests' ? 'ring buffer /requests' : f);
        const note = `telemetry on: ${on.length ? on.join(', ') : 'none'}${missing.length ? `; NOT ON: ${missing.join(', ')}` : ''}`;
        return { name, port: r.port, pid: r.child.pid, note };
      }
    }
  }

  /** What the telemetry receivers saw (shows the `rauta` target really exported). */
  async telemetryReceived(): Promise<{ natsMessages?: number; otlpRequests?: number; otlpBytes?: number }> {
    return {
      natsMessages: this.nats ? await this.nats.inMsgs() : undefined,
      otlpRequests: this.otlp?.stats.requests,
      otlpBytes: this.otlp?.stats.bytes,
    };
  }

  async stop(): Promise<void> {
    // RAUTA first (it flushes to NATS/OTLP on shutdown), then the sinks.
    for (const c of [...this.children].reverse()) await c.stop();
    await this.otlp?.close();
  }
}
