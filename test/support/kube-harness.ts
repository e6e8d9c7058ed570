import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { type Rauta, startRauta } from '../../src/main.ts';
import type { RouteTable } from '../../src/routing/route-table.ts';
import { writeKubeconfig } from './fake-apiserver/kubeconfig.ts';
import type { FakeApiServer } from './fake-apiserver/server.ts';

export interface RunningKubeRauta extends Rauta {
  readonly kubeconfig: string;
  /** Waits until the live route table satisfies `ok` (polling; fails after `ms`). */
  waitForTable(ok: (t: RouteTable) => boolean, ms?: number, what?: string): Promise<RouteTable>;
  stop(): Promise<void>;
}

/** Env for a RAUTA in Kubernetes mode against `api`, on ephemeral ports, with short test timings. */
export function kubeEnv(kubeconfig: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    KUBECONFIG: kubeconfig,
    RAUTA_HTTP_PORT: '0',
    RAUTA_HTTPS_PORT: '0',
    RAUTA_ADMIN_PORT: '0',
    RAUTA_BIND_ADDRESS: '127.0.0.1',
    RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1',
    RAUTA_SHUTDOWN_GRACE_SECONDS: '1',
    RAUTA_CONFIG_DEBOUNCE_MS: '20',
    RAUTA_CONFIG_MAX_DEBOUNCE_MS: '200',
    RAUTA_LEASE_DURATION_SECONDS: '2',
    RAUTA_LEASE_RENEW_DEADLINE_SECONDS: '1.5',
    RAUTA_LEASE_RETRY_PERIOD_SECONDS: '0.25',
    ...env,
  };
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts RAUTA in-process in Kubernetes mode against the fake API server. Resolves once it has synced. */
export async function startKubeRauta(api: FakeApiServer, env: Record<string, string> = {}): Promise<RunningKubeRauta> {
  const dir = await mkdtemp(join(tmpdir(), 'rauta-kube-'));
  const kubeconfig = await writeKubeconfig(join(dir, 'kubeconfig'), api.url, { token: env.POD_NAME ?? 'rauta' });
  const { config } = loadConfig([], kubeEnv(kubeconfig, env));
  const logger = pino({ level: process.env.RAUTA_TEST_LOG ?? 'silent' });
  const rauta = await startRauta(config, logger);
  return {
    ...rauta,
    kubeconfig,
    waitForTable: (ok, ms = 5000, what = 'the route table') => waitFor(() => (ok(rauta.routes.table) ? rauta.routes.table : undefined), ms, what),
    async stop() {
      await rauta.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
