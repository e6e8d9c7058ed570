import { readFileSync } from 'node:fs';
import { ConfigError, helpText, loadConfig } from './config/load.ts';
import { RautaError } from './errors.ts';
import { installFatalHandlers } from './fatal.ts';
import { createLogger } from './logger.ts';
import { startCluster } from './workers/cluster.ts';
import { resolveWorkers } from './workers/count.ts';

/** Errors that mean "a setting is wrong" exit 2, like an invalid configuration; the rest exit 1. */
const SETTINGS_CODES = new Set(['RAUTA_ERR_CONFIG', 'RAUTA_ERR_NATS_CONFIG', 'RAUTA_ERR_TRACING_CONFIG', 'RAUTA_ERR_MAGLEV_TABLE_SIZE']);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `rauta migrate` and `rauta translate`: read-only commands that never start a proxy. */
async function command(name: 'migrate' | 'translate', argv: readonly string[]): Promise<void> {
  const { UsageError, parseCommandArgs } = await import('./commands/inputs.ts');
  const usage = name === 'migrate' ? (await import('./commands/migrate.ts')).MIGRATE_USAGE : (await import('./commands/translate-table.ts')).TRANSLATE_USAGE;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return;
  }
  try {
    const args = parseCommandArgs(argv);
    const out = name === 'migrate' ? await (await import('./commands/migrate.ts')).migrate(args) : await (await import('./commands/translate-table.ts')).translateTable(args);
    process.stdout.write(out);
  } catch (err) {
    process.stderr.write(`rauta ${name}: ${(err as Error).message}\n${err instanceof UsageError ? `\n${usage}` : ''}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}

async function main(): Promise<void> {
  const sub = process.argv[2];
  if (sub === 'migrate' || sub === 'translate') return command(sub, process.argv.slice(3));
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
    // main.ts brings the serving modules: the primary of several workers does not load them.
    rauta = workers > 1 ? await startCluster(loaded.config, logger, workers) : await (await import('./main.ts')).startRauta(loaded.config, logger);
  } catch (err) {
    // Once, on stderr, in words: a JSON log line as well would say the same thing twice.
    const code = err instanceof RautaError ? err.code : 'RAUTA_ERR_INTERNAL';
    process.stderr.write(`rauta: start-up failed: ${(err as Error).message} (${code})\n`);
    process.exit(SETTINGS_CODES.has(code) ? 2 : 1);
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
