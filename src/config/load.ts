import { type Config, type SettingKey, settings } from './settings.ts';
import { RautaError } from '../errors.ts';

export class ConfigError extends RautaError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('RAUTA_ERR_CONFIG', `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export interface LoadResult {
  config: Config;
  help: boolean;
  version: boolean;
}

/**
 * Flags win over environment variables, which win over defaults. Every bad setting is collected so the
 * user fixes them all in one go.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): LoadResult {
  const problems: string[] = [];
  const byFlag = new Map<string, SettingKey>();
  for (const key of Object.keys(settings) as SettingKey[]) byFlag.set(settings[key].flag, key);

  const fromFlags = new Map<SettingKey, string>();
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') { help = true; continue; }
    if (arg === '--version' || arg === '-v') { version = true; continue; }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const key = byFlag.get(name);
    if (!key) {
      problems.push(`unknown argument ${JSON.stringify(arg)}`);
      // Its value is part of the same mistake: `--bogus x` is one problem, not two.
      if (eq === -1 && arg.startsWith('--') && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) i++;
      continue;
    }
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      const next = argv[i + 1];
      if (settings[key].isBoolean === true && (next === undefined || next.startsWith('--'))) value = 'true';
      else if (next === undefined) { problems.push(`${name} needs a value`); continue; }
      else { value = next; i++; }
    }
    fromFlags.set(key, value);
  }

  const values: Record<string, unknown> = {};
  for (const key of Object.keys(settings) as SettingKey[]) {
    const s = settings[key];
    const flagValue = fromFlags.get(key);
    const envValue = env[s.env];
    const raw = flagValue ?? envValue;
    if (raw === undefined) { values[key] = s.defaultValue; continue; }
    try {
      values[key] = s.parse(raw);
    } catch (err) {
      const where = flagValue !== undefined ? s.flag : s.env;
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  problems.push(...portClashes(values, fromFlags));
  if (problems.length > 0 && !help) throw new ConfigError(problems);
  if (values.adminBindAddress === '') values.adminBindAddress = values.config === undefined ? '0.0.0.0' : '127.0.0.1';
  return { config: Object.freeze(values) as Config, help, version };
}

export function helpText(): string {
  const rows = (Object.keys(settings) as SettingKey[]).map((k) => settings[k]);
  const w1 = Math.max(...rows.map((r) => r.env.length));
  const w2 = Math.max(...rows.map((r) => r.flag.length));
  const lines = rows.map((r) => `  ${r.env.padEnd(w1)}  ${r.flag.padEnd(w2)}  ${r.description} (default: ${r.defaultText})`);
  return [
    'rauta — Kubernetes ingress controller; every request becomes a structured event',
    '',
    'Usage: rauta [--flag value ...]   (flags win over environment variables)',
    '',
    `  ${'ENV'.padEnd(w1)}  ${'FLAG'.padEnd(w2)}  DESCRIPTION`,
    ...lines,
    '',
  ].join('\n');
}

const LISTENERS = [['httpPort', 'HTTP'], ['httpsPort', 'HTTPS'], ['adminPort', 'admin']] as const;

/**
 * Two listeners on one port would fail at start-up with EADDRINUSE against RAUTA itself; said here, the
 * mistake joins the list of invalid settings. Port 0 (any free port) never clashes.
 */
function portClashes(values: Record<string, unknown>, fromFlags: ReadonlyMap<SettingKey, string>): string[] {
  const problems: string[] = [];
  const name = (key: SettingKey) => (fromFlags.has(key) ? settings[key].flag : settings[key].env);
  for (let i = 0; i < LISTENERS.length; i++) {
    for (let j = i + 1; j < LISTENERS.length; j++) {
      const [a, aName] = LISTENERS[i];
      const [b, bName] = LISTENERS[j];
      const port = values[a];
      if (typeof port !== 'number' || port === 0 || port !== values[b]) continue;
      problems.push(`${name(b)}: ${port} is also the ${aName} port (${name(a)}); give the ${bName} listener its own port`);
    }
  }
  return problems;
}
