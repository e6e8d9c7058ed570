import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';

/** A child process the bench started; it kills only what it started, by pid. */
export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Last few KB of stderr+stdout, for error messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function hasBinary(path: string): boolean {
  return existsSync(path);
}

export const TASKSET = '/usr/bin/taskset';

/** `taskset -c CORE cmd…` when taskset exists (it execs, so the pid is the command's own). */
export function pinned(core: number | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  if (core === undefined || !hasBinary(TASKSET)) return [cmd, [...args]];
  return [TASKSET, ['-c', String(core), cmd, ...args]];
}

/** Pins an already running process (the bench itself) to a core. */
export function pinSelf(core: number): boolean {
  if (!hasBinary(TASKSET)) return false;
  return spawnSync(TASKSET, ['-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

export function startChild(name: string, cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; core?: number; cwd?: string } = {}): Child {
  const [bin, argv] = pinned(opts.core, cmd, args);
  const proc = spawn(bin, argv, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    name,
    proc,
    pid: proc.pid,
    output: () => tail,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port that was free a moment ago (for programs that need a fixed port in their config). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function probe(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls until GET answers `want` (bounded: `timeoutMs`). */
export async function waitForHttp(child: Child | undefined, port: number, opts: { host?: string; path?: string; want?: number; timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  const want = opts.want ?? 200;
  for (;;) {
    if (child && (child.proc.exitCode !== null || child.proc.signalCode !== null)) {
      throw new Error(`${child.name} exited early (code ${child.proc.exitCode}):\n${child.output()}`);
    }
    if ((await probe(port, opts.host ?? '127.0.0.1', opts.path ?? '/')) === want) return;
    if (Date.now() > deadline) throw new Error(`${child?.name ?? `port ${port}`} did not answer ${want} within ${opts.timeoutMs ?? 15_000}ms${child ? `:\n${child.output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
