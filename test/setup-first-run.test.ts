import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SYSTEM_TOOLS, findTool, installPlan } from '../scripts/system-tools.ts';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../src/node-version.ts';

// What a newcomer meets first: the tools npm test needs, the Node.js version check, and what
// `npm install <rauta tarball>` brings into their project.

const root = fileURLToPath(new URL('..', import.meta.url));
const node = join(root, 'node_modules/.bin/node');
const cli = join(root, 'dist/cli.js');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;

describe('setup - system tools are found, not assumed', () => {
  it('finds chromium, nats-server and openssl as absolute executable paths, even with an empty PATH', () => {
    for (const t of SYSTEM_TOOLS) {
      const path = findTool(t.name);
      assert.ok(path !== undefined && isAbsolute(path), `${t.name}: ${path}`);
      assert.ok(statSync(path).isFile());
      accessSync(path, constants.X_OK);
      // Debian keeps nats-server in /usr/sbin, outside a user's PATH: the usual folders are searched too.
      assert.equal(findTool(t.name, { PATH: '' }) !== undefined, true, `${t.name} without PATH`);
    }
  });

  it('a tool earlier on PATH wins over the usual folders', () => {
    const fake = { ...process.env, PATH: [join(root, 'test/support/fake-tools'), process.env.PATH].join(delimiter) };
    assert.equal(findTool('openssl', fake), join(root, 'test/support/fake-tools/openssl'));
  });

  it('pretest: nothing missing → nothing to do; as root with apt-get → install; otherwise → the exact command', () => {
    assert.deepEqual(installPlan([], false, undefined), { action: 'none' });
    const [chromium, nats] = SYSTEM_TOOLS;
    assert.deepEqual(installPlan([chromium, nats], true, '/usr/bin/apt-get'), { action: 'apt-get', aptGet: '/usr/bin/apt-get', packages: ['chromium', 'nats-server'] });
    const asUser = installPlan([chromium, nats], false, '/usr/bin/apt-get');
    assert.equal(asUser.action, 'stop');
    assert.ok(asUser.action === 'stop' && asUser.message.includes('\n  sudo apt-get install -y --no-install-recommends chromium nats-server\n'), JSON.stringify(asUser));
    const noApt = installPlan([nats], true, undefined);
    assert.ok(noApt.action === 'stop' && noApt.message.includes('\n  apt-get install -y --no-install-recommends nats-server\n'), JSON.stringify(noApt));
  });

  it('the pretest script exits 0 and names every tool it found', () => {
    const r = spawnSync(node, [join(root, 'scripts/pretest.ts')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    for (const t of SYSTEM_TOOLS) assert.ok(r.stdout.includes(`pretest: ${t.name} ${findTool(t.name)}\n`), r.stdout);
    assert.equal(pkg.scripts && typeof pkg.scripts === 'object' ? pkg.scripts.pretest : undefined, 'node scripts/pretest.ts');
  });
});

describe('setup - Node.js version check', () => {
  it('names the version needed and how to get it for anything below the minimum', () => {
    for (const old of ['20.20.2', 'v18.19.0', '23.11.1']) {
      const line = nodeVersionProblem(old);
      assert.ok(line !== undefined, old);
      assert.ok(line.includes(`Node.js ${MIN_NODE_MAJOR} or newer is needed`) && line.includes(`this is v${old.replace(/^v/, '')}`), line);
      assert.ok(line.includes('https://nodejs.org') && line.includes('npx rauta'), line);
      assert.ok(!line.includes('\n'));
    }
    for (const ok of ['24.0.0', 'v24.21.0', '25.1.0']) assert.equal(nodeVersionProblem(ok), undefined, ok);
    assert.equal(MIN_NODE_MAJOR, Number(/\d+/.exec(String((pkg.engines as Record<string, string>).node))?.[0]));
  });

  it('dist/cli.js on an older Node.js prints that one line and exits 1 (before any dependency loads)', (t) => {
    if (!existsSync(cli)) assert.fail(`${cli} is missing: run \`npm run build\` (npm test does it first)`);
    const old = olderNode();
    if (old === undefined) {
      t.skip(`no Node.js older than ${MIN_NODE_MAJOR} on this machine to start dist/cli.js with`);
      return;
    }
    const r = spawnSync(old.path, [cli, '--version'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `${nodeVersionProblem(old.version)}\n`);
  });
});

describe('setup - installing RAUTA as a package', () => {
  it('the Node.js 24 binary (`node` package) is a dev dependency only, and the runtime is declared in devEngines', () => {
    const deps = pkg.dependencies as Record<string, string>;
    const dev = pkg.devDependencies as Record<string, string>;
    assert.equal(deps.node, undefined, 'a user installing RAUTA must not get a 189 MB Node.js binary');
    assert.match(dev.node, /^\^24\./);
    assert.deepEqual((pkg.devEngines as unknown as { runtime: unknown }).runtime, { name: 'node', version: '>=24 <25', onFail: 'ignore' });
  });

  it('npm pack ships the built CLI, schemas and examples, and no tests or sources', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const [packed] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
    const files = packed.files.map((f) => f.path);
    for (const needed of ['package.json', 'dist/cli.js', 'dist/node-version.js', 'dist/run-cli.js', 'dist/admin/ui/index.html', 'dist/admin/ui/vendor/uplot.js', 'dist/admin/ui/vendor/uplot.css', 'examples/demo.yaml', 'examples/quickstart.yaml', 'LICENSE']) {
      assert.ok(files.includes(needed), `${needed} not in the package`);
    }
    assert.ok(files.some((f) => f.startsWith('schemas/')));
    assert.deepEqual(files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('node_modules/')), []);
  });
});

/** The first `node` on PATH (outside this checkout) whose major version is below the minimum. */
function olderNode(): { path: string; version: string } | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '' && !d.startsWith(root));
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
    const path = join(dir, 'node');
    if (!existsSync(path)) continue;
    const r = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 });
    const version = r.stdout?.trim();
    if (r.status === 0 && version && nodeVersionProblem(version) !== undefined) return { path, version };
  }
  return undefined;
}
