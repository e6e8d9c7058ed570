// `npm start` runs this first: it builds only when a source is newer than the last build, so the demo
// starts at once after `npm install` (which already built) and after an unchanged restart. A stale or
// missing dist/ is rebuilt exactly as `npm run build` would.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const INPUTS = ['src', 'scripts/copy-ui.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
/** Written by tsc on every build; the UI assets are copied right after it. */
const OUTPUT = join(root, 'dist/cli.js');

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export function isStale(): boolean {
  if (!existsSync(OUTPUT) || !existsSync(join(root, 'dist/admin/ui'))) return true;
  const built = statSync(OUTPUT).mtimeMs;
  return INPUTS.some((input) => existsSync(join(root, input)) && newestMtime(join(root, input)) > built);
}

if (import.meta.main) {
  if (!isStale()) {
    process.stdout.write('dist/ is up to date with src/: not rebuilding\n');
  } else {
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
}
