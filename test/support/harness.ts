import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { type Rauta, startRauta } from '../../src/main.ts';

export interface RunningRauta extends Rauta {
  readonly dir: string;
  readonly manifestPath: string;
  /** Rewrites the manifest file and waits until a new route table is live. */
  update(yaml: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts RAUTA in-process, standalone, on ephemeral ports, reading `yaml` from a temp file. */
export async function startStandalone(yaml: string, env: Record<string, string> = {}, logger?: Logger): Promise<RunningRauta> {
  const dir = await mkdtemp(join(tmpdir(), 'rauta-test-'));
  const manifestPath = join(dir, 'manifests.yaml');
  await writeFile(manifestPath, yaml);
  const { config } = loadConfig([], {
    RAUTA_CONFIG: manifestPath,
    RAUTA_HTTP_PORT: '0',
    RAUTA_HTTPS_PORT: '0',
    RAUTA_ADMIN_PORT: '0',
    RAUTA_BIND_ADDRESS: '127.0.0.1',
    RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1',
    RAUTA_SHUTDOWN_GRACE_SECONDS: '2',
    ...env,
  });
  const rauta = await startRauta(config, logger ?? pino({ level: process.env.RAUTA_TEST_LOG ?? 'silent' }));
  return {
    ...rauta,
    dir,
    manifestPath,
    async update(next: string) {
      const before = rauta.routes.table;
      await writeFile(manifestPath, next);
      const deadline = Date.now() + 5000;
      while (rauta.routes.table === before) {
        if (Date.now() > deadline) throw new Error('route table did not change within 5 s of the manifest update');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      await rauta.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
