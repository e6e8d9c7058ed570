import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, connect as netConnect } from 'node:net';
import { requireTool } from '../../scripts/system-tools.ts';

/** A free loopback port (bound, then released) so the server can be restarted on the same one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

/** A private nats-server on loopback; `kill()` is SIGKILL (an outage, not a graceful shutdown). */
export class NatsServer {
  readonly port: number;
  private readonly extraArgs: readonly string[];
  private child: ChildProcess | undefined;

  private constructor(port: number, extraArgs: readonly string[]) {
    this.port = port;
    this.extraArgs = extraArgs;
  }

  /** `extraArgs` e.g. `['--user', 'u', '--pass', 'p']` or `['--auth', 'token']`. */
  static async start(port?: number, extraArgs: readonly string[] = []): Promise<NatsServer> {
    requireTool('nats-server');
    const server = new NatsServer(port ?? await freePort(), extraArgs);
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const child = spawn(requireTool('nats-server'), ['-a', '127.0.0.1', '-p', String(this.port), ...this.extraArgs], { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(this.port))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode} (port ${this.port} busy?)`);
      if (Date.now() > deadline) throw new Error('nats-server did not accept connections within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
