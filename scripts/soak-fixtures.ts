import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { type Child, startChild } from '../bench/process.ts';
import { endpointSlice, ingress, ingressClass, service, toYaml } from '../test/support/manifests.ts';

/** The fault soak's surroundings: pods that can be killed, a nats-server, a collector that hangs, the manifest writer. */

const ROOT = new URL('..', import.meta.url).pathname;
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const ECHO = join(ROOT, 'dist/demo/echo-main.js');
export const NATS_BIN = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── Backends: echo processes as pods ────────────────────────────────────────────────────────────────
export interface Pod {
  readonly name: string;
  readonly service: string;
  readonly ip: string;
  readonly port: number;
  child?: Child;
}

export async function startPod(p: Pod): Promise<void> {
  p.child = startChild(p.name, NODE, [ECHO], {
    env: { PATH: process.env.PATH, ECHO_PORT: String(p.port), ECHO_HOST: p.ip, ECHO_SERVICE: p.service, ECHO_POD: p.name },
  });
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(p.ip, p.port))) {
    if (Date.now() > deadline) throw new Error(`${p.name} did not listen:\n${p.child.output()}`);
    await sleep(50);
  }
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = tcpConnect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}


// ── nats-server, killed and restarted on the same port ──────────────────────────────────────────────
export async function startNats(port: number): Promise<ChildProcess> {
  const proc = spawn(NATS_BIN as string, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'ignore'] });
  const deadline = Date.now() + 10_000;
  while (!(await canConnect('127.0.0.1', port))) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error('nats-server did not listen within 10 s');
    await sleep(50);
  }
  return proc;
}

export function kill(proc: ChildProcess | undefined): Promise<void> {
  if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGKILL');
  return exited;
}

// ── An OTLP collector that accepts and never answers ────────────────────────────────────────────────
export function startHangingCollector(): Promise<{ server: Server; port: number; received: () => number }> {
  let received = 0;
  const server = createServer((req) => {
    received++;
    req.resume(); // take the body, never answer
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    resolve({ server, port: typeof addr === 'object' && addr !== null ? addr.port : 0, received: () => received });
  }));
}

// ── The manifest: two Services (stable, flaky) plus a churning Ingress ──────────────────────────────
export function manifest(pods: readonly Pod[], generation: number): string {
  const objects = [
    ingressClass(),
    ingress('stable', { rules: [{ host: 'stable.soak', paths: [{ path: '/', service: 'stable' }] }] }),
    ingress('flaky', { rules: [{ host: 'flaky.soak', paths: [{ path: '/', service: 'flaky' }] }] }),
    service('stable'),
    service('flaky'),
    ...pods.map((p) => endpointSlice(p.service, p.port, [{ ip: p.ip, pod: p.name }], { name: p.name })),
    // Config churn: an Ingress whose host and paths change on every rewrite.
    ingress(`churn-${generation % 7}`, {
      rules: [{ host: `churn-${generation % 5}.soak`, paths: Array.from({ length: 1 + (generation % 4) }, (_, i) => ({ path: `/g${generation}/p${i}`, service: 'stable' })) }],
    }),
  ];
  return toYaml(objects);
}

export type WriteMode = 'rename' | 'in-place' | 'half-then-rest' | 'invalid';
export const WRITE_MODES: readonly WriteMode[] = ['rename', 'in-place', 'half-then-rest', 'rename', 'invalid'];

export async function rewrite(path: string, text: string, mode: WriteMode): Promise<void> {
  switch (mode) {
    case 'rename': {
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, path);
      return;
    }
    case 'in-place':
      writeFileSync(path, text);
      return;
    case 'half-then-rest': {
      const half = Math.floor(text.length / 2);
      writeFileSync(path, text.slice(0, half));
      await sleep(30);
      writeFileSync(path, text);
      return;
    }
    case 'invalid':
      // Not YAML: the last good routes must keep serving until the next rewrite.
      writeFileSync(path, `${text}\n---\nkind: Ingress\nmetadata: {name: [unclosed\n`);
      return;
  }
}
