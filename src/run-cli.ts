import { readFileSync } from 'node:fs';
import { ConfigError, helpText, loadConfig } from './config/load.ts';
import { installFatalHandlers } from './fatal.ts';
import { createLogger } from './logger.ts';
import { startRauta } from './main.ts';
import { startCluster } from './workers/cluster.ts';
import { resolveWorkers } from './workers/count.ts';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<void> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`rauta: ${err.message}\n\nRun rauta --help for every setting.\n`);
      process.exit(2);
    }
    throw err;
  }
  if (loaded.help) {
    process.stdout.write(helpText());
    return;
  }
  if (loaded.version) {
    process.stdout.write(`rauta ${version()}\n`);
    return;
  }
  const logger = createLogger(loaded.config.logLevel);
  installFatalHandlers(logger);
  let rauta: { shutdown(): Promise<void> };
  try {
    const workers = resolveWorkers(loaded.config.workers);
    rauta = workers > 1 ? await startCluster(loaded.config, logger, workers) : await startRauta(loaded.config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'start-up failed');
    process.stderr.write(`rauta: start-up failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'signal received');
    rauta.shutdown().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
