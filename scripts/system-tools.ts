// The programs outside npm that the tests start: found on PATH or in Debian's usual folders, never
// assumed at one fixed path (Debian puts nats-server in /usr/sbin, which is not on a user's PATH).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface SystemTool {
  /** What the tests call it. */
  readonly name: 'chromium' | 'nats-server' | 'openssl';
  /** File names to look for, in order of preference. */
  readonly commands: readonly string[];
  /** The Debian package that brings it. */
  readonly aptPackage: string;
  /** Why the tests need it (printed when it is missing). */
  readonly neededFor: string;
}

export const SYSTEM_TOOLS: readonly SystemTool[] = [
  { name: 'chromium', commands: ['chromium', 'chromium-browser'], aptPackage: 'chromium', neededFor: 'web UI tests (headless browser)' },
  { name: 'nats-server', commands: ['nats-server'], aptPackage: 'nats-server', neededFor: 'NATS event tests (a private server per test)' },
  { name: 'openssl', commands: ['openssl'], aptPackage: 'openssl', neededFor: 'TLS tests (test certificates)' },
];

/** Debian's folders for programs, searched after PATH. */
const USUAL_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/snap/bin'];

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `tool`, or undefined when it is not installed. */
export function findTool(tool: SystemTool['name'], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const spec = SYSTEM_TOOLS.find((t) => t.name === tool);
  if (spec === undefined) throw new Error(`unknown tool ${tool}`);
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...USUAL_DIRS];
  for (const command of spec.commands) {
    for (const dir of dirs) {
      const candidate = join(dir, command);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Like findTool, but throws with the command that installs it. */
export function requireTool(tool: SystemTool['name']): string {
  const found = findTool(tool);
  if (found !== undefined) return found;
  const spec = SYSTEM_TOOLS.find((t) => t.name === tool)!;
  throw new Error(`${tool} not found (needed for ${spec.neededFor}); install it with: sudo apt-get install -y ${spec.aptPackage}  (npm test does this itself when run as root)`);
}

/** What pretest does about missing tools: nothing, install them with apt-get, or stop with a command. */
export type InstallPlan =
  | { readonly action: 'none' }
  | { readonly action: 'apt-get'; readonly aptGet: string; readonly packages: readonly string[] }
  | { readonly action: 'stop'; readonly message: string };

export function installPlan(missing: readonly SystemTool[], isRoot: boolean, aptGet: string | undefined): InstallPlan {
  if (missing.length === 0) return { action: 'none' };
  const packages = missing.map((t) => t.aptPackage);
  if (isRoot && aptGet !== undefined) return { action: 'apt-get', aptGet, packages };
  const command = `${isRoot ? '' : 'sudo '}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  return {
    action: 'stop',
    message: [
      `the tests need programs that are not installed: ${missing.map((t) => `${t.name} (${t.neededFor})`).join(', ')}.`,
      aptGet === undefined ? 'On Debian or Ubuntu install them with the command below; elsewhere use your package manager:' : 'Install them, then run npm test again:',
      '',
      `  ${command}`,
      '',
    ].join('\n'),
  };
}
