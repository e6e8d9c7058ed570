import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from './support/kube-harness.ts';
import { ingressClass, toYaml } from './support/manifests.ts';

const root = join(import.meta.dirname, '..');

/** Runs the real CLI (standalone), raises `fault` once it listens, and returns its exit code and log lines. */
async function crash(dir: string, fault: 'throw' | 'reject'): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, ['--import', './test/support/fault-preload.ts', 'src/cli.ts'], {
    cwd: root,
    env: {
      ...process.env, RAUTA_TEST_FAULT: fault, RAUTA_CONFIG: join(dir, 'manifests.yaml'), RAUTA_LOG_LEVEL: 'info',
      RAUTA_HTTP_PORT: '0', RAUTA_HTTPS_PORT: '0', RAUTA_ADMIN_PORT: '0', RAUTA_BIND_ADDRESS: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  try {
    await waitFor(() => lines().some((l) => l.msg === 'rauta listening'), 30_000, 'rauta listening');
    child.kill('SIGUSR2');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    assert.notEqual(code, 'hung', 'the process exits after the fault');
    return { code: code as number | null, lines: lines() };
  } finally {
    child.kill('SIGKILL');
  }
}

describe('process - a fault nothing caught is logged once through the application log, then the process exits non-zero', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rauta-fatal-'));
    await writeFile(join(dir, 'manifests.yaml'), toYaml([ingressClass()]));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [fault, kind] of [['throw', 'uncaught exception'], ['reject', 'unhandled promise rejection']] as const) {
    it(`${kind}: one fatal JSON line with the error, exit code 70`, async () => {
      const { code, lines } = await crash(dir, fault);
      assert.equal(code, 70);
      const fatal = lines.filter((l) => l.level === 60);
      assert.equal(fatal.length, 1, JSON.stringify(fatal));
      assert.equal(fatal[0].kind, kind);
      assert.match(String((fatal[0].err as { message?: string } | undefined)?.message), /^boom/);
      assert.match(String((fatal[0].err as { stack?: string } | undefined)?.stack), /fault-preload/);
    });
  }
});
