import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpointSlice, ingress, ingressClass, service, toYaml } from '../test/support/manifests.ts';
import { type Child, freePort, startChild, waitForHttp } from './process.ts';

export const BENCH_HOST = 'bench.local';
const ROOT = new URL('..', import.meta.url).pathname;
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const CLI = join(ROOT, 'dist/cli.js');

/** Which telemetry settings this build of RAUTA knows (they arrive from another branch). */
export interface TelemetrySupport {
  readonly nats: boolean;
  readonly otlp: boolean;
}

/** Read from the settings table source: an unknown env var is silently ignored by RAUTA, so check first. */
export function telemetrySupport(): TelemetrySupport {
  const src = readFileSync(join(ROOT, 'src/config/settings.ts'), 'utf8');
  return { nats: src.includes("'NATS_URL'"), otlp: src.includes("'OTEL_EXPORTER_OTLP_ENDPOINT'") };
}

/** One Ingress for BENCH_HOST → one Service → one endpoint: the upstream. */
export function benchManifest(upstreamPort: number): string {
  return toYaml([
    ingressClass(),
    ingress('bench', { rules: [{ host: BENCH_HOST, paths: [{ path: '/', service: 'upstream' }] }] }),
    service('upstream'),
    endpointSlice('upstream', upstreamPort, [{ ip: '127.0.0.1', pod: 'upstream-0' }]),
  ]);
}

export interface RautaTarget {
  readonly child: Child;
  readonly port: number;
  readonly adminPort: number;
  /** Admin endpoints that answered 200 after start (e.g. /metrics, /requests). */
  readonly adminFeatures: readonly string[];
  readonly manifestPath: string;
}

export interface RautaOptions {
  readonly name: string;
  readonly dir: string;
  readonly upstreamPort: number;
  readonly core: number | undefined;
  /** Extra environment: NATS_URL, OTEL_* for the full-telemetry target. */
  readonly env: Record<string, string>;
  /** Node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** Another build's cli.js, for before/after comparisons. */
  readonly cli?: string;
  /** Manifest text instead of the one-route bench manifest (e.g. 10,000 Ingresses). */
  readonly manifest?: string;
  /** How long start-up may take (a large manifest is parsed and translated first). */
  readonly startTimeoutMs?: number;
}

/** Starts the built `dist/cli.js` standalone, reading a generated manifest. */
export async function startRauta(o: RautaOptions): Promise<RautaTarget> {
  const manifest = join(o.dir, `${o.name}-manifest.yaml`);
  writeFileSync(manifest, o.manifest ?? benchManifest(o.upstreamPort));
  const port = await freePort();
  const adminPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RAUTA_CONFIG: manifest,
    RAUTA_HTTP_PORT: String(port),
    RAUTA_HTTPS_PORT: '0',
    RAUTA_ADMIN_PORT: String(adminPort),
    RAUTA_BIND_ADDRESS: '127.0.0.1',
    RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1',
    RAUTA_LOG_LEVEL: 'warn',
    RAUTA_SHUTDOWN_GRACE_SECONDS: '1',
    ...o.env,
  };
  const child = startChild(o.name, NODE, [...(o.nodeFlags ?? []), o.cli ?? CLI], { env, core: o.core, cwd: o.dir });
  await waitForHttp(child, adminPort, { path: '/readyz', timeoutMs: o.startTimeoutMs });
  await waitForHttp(child, port, { host: BENCH_HOST, timeoutMs: o.startTimeoutMs });
  const adminFeatures: string[] = [];
  for (const path of ['/metrics', '/requests']) {
    try {
      // Only the status: /requests may be a live stream.
      const res = await fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) adminFeatures.push(path);
    } catch {
      // not served by this build
    }
  }
  return { child, port, adminPort, adminFeatures, manifestPath: manifest };
}
