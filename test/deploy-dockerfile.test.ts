import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.ts';

// No Docker engine runs here: the Dockerfile is read instruction by instruction and its promises checked.

interface Instruction { readonly op: string; readonly args: string }
interface Stage { readonly image: string; readonly name: string; readonly body: Instruction[] }

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ').split('\n');
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(f, `FROM ${args}`);
      const image = f[1].replace(/\$\{(\w+)\}/g, (_all, name: string) => {
        const value = globalArgs.get(name);
        assert.ok(value, `ARG ${name} has a default before the first FROM`);
        return value;
      });
      stages.push({ image, name: f[2] ?? '', body: [] });
    } else if (stages.length === 0) {
      assert.equal(op, 'ARG', `only ARG may precede the first FROM, found ${op}`);
      const [name, value] = args.split('=');
      globalArgs.set(name, value ?? '');
    } else {
      stages[stages.length - 1].body.push({ op, args });
    }
  }
  return { globalArgs, stages };
}

/** .dockerignore evaluation for the forms this repo uses: `*`, `name`, `name/`, with `!` negation. */
function ignored(path: string, patterns: readonly string[]): boolean {
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = (negate ? raw.slice(1) : raw).replace(/\/$/, '');
    assert.match(p, /^(\*|[A-Za-z0-9._-]+)$/, `.dockerignore pattern ${raw} is one the test understands`);
    const top = path.split('/')[0];
    if (p === '*' || p === top) result = !negate;
  }
  return result;
}

const { stages } = parseDockerfile(read('Dockerfile'));
const runtime = stages[stages.length - 1];
const ops = (s: Stage, op: string) => s.body.filter((i) => i.op === op).map((i) => i.args);
const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const defaults = loadConfig([], {}).config;

describe('deploy - Dockerfile', () => {
  it('is multi-stage: a Node 24 build stage compiles, the runtime stage only copies', () => {
    assert.ok(stages.length >= 2);
    const build = stages.find((s) => ops(s, 'RUN').some((r) => r.includes('npm run build')));
    assert.ok(build, 'a stage runs npm run build');
    assert.ok(ops(build, 'RUN').some((r) => /\bnpm ci\b/.test(r)), 'the build stage installs from the lock file');
    assert.notEqual(build, runtime);
    assert.deepEqual(ops(runtime, 'RUN'), [], 'no RUN in the runtime stage: it has no shell');
    for (const s of stages) assert.ok(s.name !== '', `stage ${s.image} is named`);
  });

  it('pins every base image by a tag that is not latest, on Node 24', () => {
    for (const s of stages) {
      const [, tag] = s.image.split(/:(?=[^/]+$)/);
      assert.ok(tag !== undefined && tag !== '', `${s.image} has a tag`);
      assert.notEqual(tag, 'latest');
      assert.match(s.image, /(^node:24\.\d+\.\d+-|nodejs24-)/, `${s.image} is Node 24`);
    }
    assert.match(runtime.image, /^gcr\.io\/distroless\/nodejs24-debian12:/);
  });

  it('runs as a numeric non-root user and has no HEALTHCHECK', () => {
    const users = ops(runtime, 'USER');
    assert.equal(users.length, 1);
    const [uid, gid] = users[0].split(':').map(Number);
    assert.ok(Number.isInteger(uid) && uid > 0, `USER ${users[0]} is numeric and not root`);
    assert.ok(gid === undefined || (Number.isInteger(gid) && gid > 0));
    for (const s of stages) assert.deepEqual(ops(s, 'HEALTHCHECK'), []);
    // The Deployment runs as the same user.
    assert.match(read('deploy/install.yaml'), new RegExp(`runAsUser: ${uid}\\b`));
  });

  it('ships production dependencies only, without the npm `node` binary package', () => {
    const fromStage = (args: string) => /--from=(\S+)/.exec(args)?.[1];
    const modules = ops(runtime, 'COPY').filter((c) => c.includes('node_modules'));
    assert.equal(modules.length, 1);
    const depsStage = stages.find((s) => s.name === fromStage(modules[0]));
    assert.ok(depsStage);
    const install = ops(depsStage, 'RUN').join(' ');
    assert.match(install, /npm ci --omit=dev/);
    // --omit=dev is what keeps the npm `node` binary package out: it is a dev dependency only.
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.equal(pkg.dependencies.node, undefined, 'the node package is not a production dependency');
    assert.ok(pkg.devDependencies.node, 'the node package is a dev dependency');
    assert.doesNotMatch(ops(depsStage, 'RUN').join(' '), /npm run build/);
  });

  it('starts dist/cli.js, the package bin built from src/cli.ts, and exposes RAUTA\'s default ports', () => {
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    assert.equal(pkg.bin.rauta, 'dist/cli.js');
    assert.ok(existsSync(new URL('src/cli.ts', root)));
    const cmd = JSON.parse(ops(runtime, 'CMD')[0]) as string[];
    assert.equal(cmd[cmd.length - 1], 'dist/cli.js');
    assert.ok(ops(runtime, 'COPY').some((c) => /--from=\S+ \/app\/dist \.\/dist/.test(c)));
    assert.deepEqual(ops(runtime, 'EXPOSE').join(' ').split(/\s+/).map(Number).sort(),
      [defaults.httpPort, defaults.httpsPort, defaults.adminPort].sort());
  });

  it('ships what dist/ reads at run time: package.json (the version) and the event schemas', () => {
    const copies = ops(runtime, 'COPY');
    assert.ok(copies.some((c) => /--from=\S+ \/app\/schemas \.\/schemas$/.test(c)), 'schemas/ next to dist/');
    assert.ok(copies.some((c) => /--from=\S+ \/app\/package\.json \.\/package\.json$/.test(c)));
    // src/telemetry/schemas.ts resolves ../../schemas from dist/telemetry: /app/schemas in the image.
    assert.match(read('src/telemetry/schemas.ts'), /\.\.\/\.\.\/schemas\//);
    assert.ok(existsSync(new URL('schemas/request-event.v1.json', root)));
    assert.ok(!ignored('schemas/request-event.v1.json', ignore));
  });

  it('copies from the build context only what exists and what .dockerignore lets through', () => {
    for (const s of stages) for (const c of ops(s, 'COPY')) {
      if (c.includes('--from=')) continue;
      const parts = c.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        if (src === '.') continue;
        assert.ok(existsSync(new URL(src, root)), `COPY source ${src} exists`);
        assert.ok(!ignored(src, ignore), `COPY source ${src} is not excluded by .dockerignore`);
      }
    }
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/cli.ts', 'schemas/x.json', 'scripts/copy-ui.ts']) {
      assert.ok(!ignored(needed, ignore), `${needed} reaches the build`);
    }
    for (const kept of ['node_modules', '.git', 'dist', 'test', 'deploy', 'integrations', '.env', 'docker-compose.yml']) {
      assert.ok(ignored(kept, ignore), `${kept} stays out of the build context`);
    }
  });
});
