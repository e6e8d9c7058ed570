import { type ChildProcess, spawn } from 'node:child_process';
import { type Socket, connect } from 'node:net';

export interface Blackhole {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A TCP port on loopback where connects hang, like a SYN sent to a host that is gone: a child process
 * listens with a backlog of 1 (Node treats 0 as its default 511) and then blocks its event loop, so it never accepts. Once the
 * accept queue is full the kernel drops further SYNs and a connect neither succeeds nor fails.
 */
export async function startBlackhole(host = '127.0.0.1'): Promise<Blackhole> {
  const script = `
    const s = require('node:net').createServer();
    s.listen({ port: 0, host: ${JSON.stringify(host)}, backlog: 1 }, () => {
      require('node:fs').writeSync(1, String(s.address().port) + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // never returns
    });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`blackhole helper exited with ${code}`)));
  });
  // Fill the accept queue: these complete in the kernel, the next ones hang.
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(port, host);
    s.on('error', () => {});
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  return {
    host,
    port,
    async close() {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 20));
    },
  };
}
