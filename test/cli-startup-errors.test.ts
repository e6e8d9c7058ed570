import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config/load.ts';
import { routeYaml } from './support/manifests.ts';

// The errors a newcomer meets first, through the real CLI: each names the setting to change, is printed
// once (stderr, no JSON log line repeating it), and exits 2 for bad settings or 1 for a failed start.

const root = fileURLToPath(new URL('..', import.meta.url));
const node = join(root, 'node_modules/.bin/node');
const cli = join(root, 'dist/cli.js');

interface Run { status: number | null; stdout: string; stderr: string }

function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  if (!existsSync(cli)) assert.fail(`${cli} is missing: run \`npm run build\` (npm test does it first)`);
  return new Promise((resolve, reject) => {
    const child = spawn(node, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RAUTA_LOG_LEVEL: 'info', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`rauta did not exit within 30 s:\n${stdout}\n${stderr}`)); }, 30_000);
    child.on('exit', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

/** The failure is one line on stderr and nowhere on stdout. */
function assertPrintedOnce(r: Run, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stdout, /start-up failed|"level":60/, `stdout repeats the error:\n${r.stdout}`);
}

describe('cli - start-up errors name the setting to change', () => {
  let dir: string;
  let manifest: string;
  let holder: Server;
  let taken: number;
  const loopback = ['--bind-address', '127.0.0.1', '--admin-bind-address', '127.0.0.1'];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rauta-cli-errors-'));
    manifest = join(dir, 'my.yaml');
    await writeFile(manifest, routeYaml('errors.test', [{ ip: '127.0.0.1', port: 9 }]));
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    taken = (holder.address() as { port: number }).port;
  });
  after(async () => {
    holder.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [flag, env, what, others] of [
    ['--http-port', 'RAUTA_HTTP_PORT', 'HTTP', ['--https-port', '0', '--admin-port', '0']],
    ['--https-port', 'RAUTA_HTTPS_PORT', 'HTTPS', ['--http-port', '0', '--admin-port', '0']],
    ['--admin-port', 'RAUTA_ADMIN_PORT', 'admin', ['--http-port', '0', '--https-port', '0']],
  ] as const) {
    it(`a taken ${what} port: exit 1, "${flag} (${env})" in one line`, async () => {
      const r = await runCli(['--config', manifest, ...loopback, ...others, flag, String(taken)]);
      assert.equal(r.status, 1, r.stderr);
      assertPrintedOnce(r, new RegExp(`^rauta: start-up failed: cannot open the ${what} listener on 127\\.0\\.0\\.1:${taken}: the port is already in use \\(EADDRINUSE\\)\\. .*choose another port with ${flag} \\(${env}\\) \\(RAUTA_ERR_LISTEN\\)$`));
    });
  }

  it('a bind address that is not on this machine names --bind-address', async () => {
    const r = await runCli(['--config', manifest, '--bind-address', '192.0.2.1', '--admin-bind-address', '127.0.0.1', '--http-port', '0', '--https-port', '0', '--admin-port', '0']);
    assert.equal(r.status, 1, r.stderr);
    assertPrintedOnce(r, /192\.0\.2\.1 is not an address of this machine \(EADDRNOTAVAIL\)\. Change it with --bind-address \(RAUTA_BIND_ADDRESS\) \(RAUTA_ERR_LISTEN\)$/);
  });

  it('a --config path that does not exist: "no such file or folder", naming the setting and the path', async () => {
    const missing = join(dir, 'nope', 'my.yaml');
    const r = await runCli(['--config', missing, ...loopback, '--http-port', '0', '--https-port', '0', '--admin-port', '0']);
    assert.equal(r.status, 1, r.stderr);
    assertPrintedOnce(r, new RegExp(`^rauta: start-up failed: --config \\(RAUTA_CONFIG\\) ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no such file or folder \\(RAUTA_ERR_MANIFEST\\)$`));
    assert.doesNotMatch(r.stderr, /ENOENT|stat /);
  });

  it('the same port for two listeners, a bad NATS_URL and a bad port: one list, exit 2', async () => {
    const r = await runCli(['--config', manifest, '--http-port', '8080', '--admin-port', '8080', '--max-header-size', 'x'], { NATS_URL: 'http://localhost:4222', RAUTA_HTTPS_PORT: '8080' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.match(/invalid configuration/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /RAUTA_HTTPS_PORT: 8080 is also the HTTP port \(--http-port\); give the HTTPS listener its own port/);
    assert.match(r.stderr, /--admin-port: 8080 is also the HTTP port \(--http-port\); give the admin listener its own port/);
    assert.match(r.stderr, /NATS_URL: "http:\/\/localhost:4222" is not a server URL: use nats:\/\/host:4222 or tls:\/\/host:4222/);
    assert.match(r.stderr, /--max-header-size: expected an integer/);
  });
});

describe('config - listener ports and NATS_URL are validated with the other settings', () => {
  const problems = (argv: string[], env: Record<string, string> = {}): readonly string[] => {
    try {
      loadConfig(argv, env);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
  };

  it('port 0 (any free port) never clashes; equal non-zero ports do, whichever way they were set', () => {
    assert.deepEqual(problems(['--http-port', '0', '--https-port', '0', '--admin-port', '0']), []);
    // Set through the environment (or left at the default), a setting is named by its variable.
    assert.deepEqual(problems([], { RAUTA_ADMIN_PORT: '8443' }), ['RAUTA_ADMIN_PORT: 8443 is also the HTTPS port (RAUTA_HTTPS_PORT); give the admin listener its own port']);
    assert.equal(problems(['--http-port', '7000', '--https-port', '7000', '--admin-port', '7000']).length, 3);
  });

  it('NATS_URL: nats://, tls://, user:pass@ and host:port lists pass; other schemes, paths and junk do not', () => {
    for (const ok of ['nats://127.0.0.1:4222', 'tls://nats.example.com', 'nats://u:p@h:4222,nats://h2:4223', 'localhost:4222', '']) {
      assert.deepEqual(problems([], { NATS_URL: ok }), [], ok);
    }
    for (const bad of ['http://h:4222', 'nats://', 'nats://h:4222/path', 'nats://h:99999', 'nats://h:4222,ws://x']) {
      const p = problems([], { NATS_URL: bad });
      assert.equal(p.length, 1, `${bad}: ${p.join('; ')}`);
      assert.match(p[0], /^NATS_URL: ".*" is not a server URL: use nats:\/\/host:4222 or tls:\/\/host:4222/);
    }
  });
});
