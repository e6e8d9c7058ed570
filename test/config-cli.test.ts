import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, helpText, loadConfig } from '../src/config/load.ts';
import { settings } from '../src/config/settings.ts';
import { startBackend } from './support/backends.ts';
import { get } from './support/client.ts';
import { routeYaml } from './support/manifests.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = join(root, 'node_modules/.bin/node');
const cli = join(root, 'dist/cli.js');

function requireBuild(): void {
  if (!existsSync(cli)) assert.fail(`${cli} is missing: run \`npm run build\` (npm test does it first)`);
}

describe('config - flags, environment, defaults', () => {
  it('flags win over environment variables, which win over defaults', () => {
    const { config } = loadConfig(['--http-port', '2222', '--log-level=debug'], { RAUTA_HTTP_PORT: '1111', RAUTA_ADMIN_PORT: '3333', RAUTA_LOG_LEVEL: 'warn' });
    assert.equal(config.httpPort, 2222);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.adminPort, 3333);
    assert.equal(config.httpsPort, 8443);
    assert.equal(config.ingressClass, 'rauta');
    assert.equal(config.controllerName, 'rauta.io/ingress-controller');
    assert.equal(config.bindAddress, '0.0.0.0');
    assert.equal(config.maxHeaderSize, 32768);
    assert.equal(config.shutdownGraceSeconds, 30);
    assert.equal(config.upstreamConnectTimeoutSeconds, 5);
    assert.equal(config.upstreamResponseTimeoutSeconds, 60);
    assert.equal(config.config, undefined);
    assert.ok(Object.isFrozen(config));
  });

  it('an invalid flag value is reported even when the environment variable is valid', () => {
    assert.throws(() => loadConfig(['--http-port', 'eighty'], { RAUTA_HTTP_PORT: '80' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, ['--http-port: expected an integer, got "eighty"']);
      return true;
    });
  });

  it('lists every bad setting in one error', () => {
    try {
      loadConfig(['--http-port', '70000', '--bogus', 'x', '--ingress-class', 'Not_Valid'], {
        RAUTA_LOG_LEVEL: 'loud', RAUTA_ADMIN_PORT: 'abc', RAUTA_SHUTDOWN_GRACE_SECONDS: '-1', RAUTA_MAX_HEADER_SIZE: '10',
      });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'RAUTA_ERR_CONFIG');
      const text = err.problems.join('\n');
      for (const bad of ['--bogus', '--http-port', '--ingress-class', 'RAUTA_LOG_LEVEL', 'RAUTA_ADMIN_PORT', 'RAUTA_SHUTDOWN_GRACE_SECONDS', 'RAUTA_MAX_HEADER_SIZE']) {
        assert.ok(text.includes(bad), `${bad} missing from:\n${text}`);
      }
      assert.equal(err.problems.length, 7, text);
    }
  });

  it('--help lists every setting with its env, flag and default', () => {
    const help = helpText();
    for (const s of Object.values(settings)) {
      const line = help.split('\n').find((l) => l.includes(` ${s.env} `));
      assert.ok(line, `${s.env} missing from --help`);
      assert.ok(line.includes(s.flag) && line.includes(`(default: ${s.defaultText})`), line);
    }
  });
});

describe('cli - the built entry point dist/cli.js', () => {
  it('--help prints the table and exits 0', () => {
    requireBuild();
    const r = spawnSync(node, [cli, '--help'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /RAUTA_HTTP_PORT\s+--http-port\s+.*\(default: 8080\)/);
    assert.match(r.stdout, /RAUTA_CONFIG\s+--config/);
  });

  it('bad settings: one message listing all of them, exit code 2', () => {
    requireBuild();
    const r = spawnSync(node, [cli, '--http-port', '70000', '--bogus', 'x'], {
      encoding: 'utf8', timeout: 10_000, env: { ...process.env, RAUTA_LOG_LEVEL: 'loud', RAUTA_ADMIN_PORT: 'abc' },
    });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.match(/invalid configuration/g)?.length, 1);
    for (const bad of ['--http-port', '--bogus', 'RAUTA_LOG_LEVEL', 'RAUTA_ADMIN_PORT']) assert.ok(r.stderr.includes(bad), r.stderr);
    assert.ok(!r.stderr.includes('"x"'), 'the unknown flag\'s value is not a second problem');
  });

  it('--version prints the package version', () => {
    requireBuild();
    const r = spawnSync(node, [cli, '--version'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^rauta \d+\.\d+\.\d+\n$/);
  });

  it('a manifest file that does not parse at start-up: exit 1 naming the file, document and line', async () => {
    requireBuild();
    const dir = await mkdtemp(join(tmpdir(), 'rauta-cli-'));
    try {
      const manifest = join(dir, 'broken.yaml');
      await writeFile(manifest, 'kind: Service\n---\nmetadata: {name: [\n');
      const r = spawnSync(node, [cli, '--config', manifest, '--http-port', '0', '--admin-port', '0', '--bind-address', '127.0.0.1', '--admin-bind-address', '127.0.0.1', '--log-level', 'silent'], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 1);
      assert.ok(r.stderr.includes(`${manifest} document 1 line`), r.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('SIGTERM: the request in flight completes, then the process exits 0', async () => {
    requireBuild();
    const backend = await startBackend('127.0.0.17', (_req, res) => { setTimeout(() => res.end('done'), 600); });
    const dir = await mkdtemp(join(tmpdir(), 'rauta-cli-'));
    const manifest = join(dir, 'm.yaml');
    await writeFile(manifest, routeYaml('cli.test', [{ ip: backend.ip, port: backend.port }]));
    let child: ChildProcess | undefined;
    try {
      child = spawn(node, [cli, '--config', manifest, '--http-port', '0', '--admin-port', '0', '--bind-address', '127.0.0.1', '--admin-bind-address', '127.0.0.1'], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RAUTA_SHUTDOWN_GRACE_SECONDS: '10' },
      });
      const proc = child;
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
      let out = '';
      const ports = await new Promise<{ http: number; admin: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "rauta listening" log line within 10 s:\n${out}`)), 10_000);
        proc.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.includes('"rauta listening"'));
          if (!line) return;
          clearTimeout(timer);
          const log = JSON.parse(line) as { http: string; admin: string };
          resolve({ http: Number(log.http.split(':').pop()), admin: Number(log.admin.split(':').pop()) });
        });
        proc.on('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
      });
      assert.equal((await get(ports.admin, '/readyz')).status, 200);
      const inFlight = get(ports.http, '/', { host: 'cli.test' });
      await new Promise((r) => setTimeout(r, 150));
      proc.kill('SIGTERM');
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'done');
      assert.equal(await exited, 0);
      child = undefined;
    } finally {
      child?.kill('SIGKILL');
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
