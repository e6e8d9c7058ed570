import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Pieces for the listener fuzzers: RAUTA as a child process (a crash is an exit we can see, not the end
 * of the test runner), a strict backend that records every request it parsed and every framing error,
 * and a raw client.
 */

const ROOT = new URL('../..', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');

/** One request as the backend's strict parser saw it. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** True once the body ended normally (the request was complete). */
  complete: boolean;
}

export interface RecordingBackend {
  readonly port: number;
  readonly received: Received[];
  /** Framing errors of the backend's parser (`HPE_*`): RAUTA must never send a malformed request. */
  readonly parseErrors: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startRecordingBackend(host: string): Promise<RecordingBackend> {
  const received: Received[] = [];
  const parseErrors: string[] = [];
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => {
    const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, complete: false };
    received.push(r);
    req.on('data', () => {});
    req.on('error', () => {});
    req.on('end', () => {
      r.complete = true;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // HPE_INVALID_EOF_STATE is the connection ending inside a message: a client that stopped mid-body
    // leaves the backend a truncated request, an abort rather than a framing RAUTA got wrong.
    if (typeof err.code === 'string' && err.code.startsWith('HPE_') && err.code !== 'HPE_INVALID_EOF_STATE') parseErrors.push(`${err.code}: ${(err as { rawPacket?: Buffer }).rawPacket?.toString('latin1').slice(0, 300) ?? ''}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    received,
    parseErrors,
    reset() {
      received.length = 0;
      parseErrors.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RautaChild {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
  /** Throws with the process's last output when it has exited. */
  assertAlive(): void;
  /** The last 20,000 characters RAUTA wrote (its log). */
  output(): string;
  stop(): Promise<void>;
}

/** `node src/cli.ts` standalone on free ports (one process), reading `yaml`. */
export async function startRautaChild(yaml: string, env: Record<string, string> = {}): Promise<RautaChild> {
  const dir = mkdtempSync(join(tmpdir(), 'rauta-fuzz-'));
  const manifest = join(dir, 'manifests.yaml');
  writeFileSync(manifest, yaml);
  const child: ChildProcess = spawn(NODE, [join(ROOT, 'src/cli.ts')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RAUTA_CONFIG: manifest,
      RAUTA_HTTP_PORT: '0',
      RAUTA_HTTPS_PORT: '0',
      RAUTA_ADMIN_PORT: '0',
      RAUTA_BIND_ADDRESS: '127.0.0.1',
      RAUTA_ADMIN_BIND_ADDRESS: '127.0.0.1',
      RAUTA_LOG_LEVEL: 'info',
      RAUTA_SHUTDOWN_GRACE_SECONDS: '1',
      // One process: a crash is then the exit of the process the test watches (workers would be restarted).
      RAUTA_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  child.stderr?.on('data', keep);
  const ports = await new Promise<{ http: number; https: number; admin: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`RAUTA did not start within 30 s:\n${output}`)), 30_000);
    let lines = '';
    child.stdout?.on('data', (b: Buffer) => {
      keep(b);
      lines += b.toString();
      for (const line of lines.split('\n')) {
        if (!line.includes('"rauta listening"')) continue;
        const m = /"http":"[^"]*:(\d+)","https":"[^"]*:(\d+)","admin":"[^"]*:(\d+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve({ http: Number(m[1]), https: Number(m[2]), admin: Number(m[3]) });
        }
      }
      lines = lines.slice(lines.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`RAUTA exited with ${code} at start:\n${output}`));
    });
  });
  return {
    httpPort: ports.http,
    httpsPort: ports.https,
    adminPort: ports.admin,
    output: () => output,
    assertAlive() {
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`RAUTA exited (code ${child.exitCode}, signal ${child.signalCode}):\n${output.slice(-4000)}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes `bytes`, half-closes, and collects what comes back until the server closes, or nothing came
 * for `idleMs`, or `maxMs` passed (a live feed never ends).
 */
export function sendRaw(port: number, bytes: Uint8Array, opts: { idleMs?: number; maxMs?: number; halfClose?: boolean; later?: Uint8Array; laterAfterMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = connect({ host: '127.0.0.1', port });
    let idle: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(idle);
      clearTimeout(max);
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    const max = setTimeout(done, opts.maxMs ?? 3000);
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(done, opts.idleMs ?? 400);
    };
    sock.on('connect', () => {
      sock.write(bytes);
      const finish = () => {
        if (opts.halfClose ?? false) sock.end();
        arm();
      };
      if (opts.later === undefined) return finish();
      // A second write a little later: what follows a request is often read only once it is under way.
      const later = opts.later;
      setTimeout(() => {
        if (!sock.destroyed) sock.write(later);
        finish();
      }, opts.laterAfterMs ?? 30);
    });
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    sock.on('error', done);
    sock.on('close', done);
  });
}

/** Status codes of every HTTP/1.x response head in a raw answer. */
export function statuses(answer: Buffer): number[] {
  return [...answer.toString('latin1').matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** GET through RAUTA to a known-good host: RAUTA still serves after whatever the fuzzer sent. */
export async function assertServes(port: number, host: string): Promise<void> {
  const answer = await sendRaw(port, Buffer.from(`GET /health-check HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), { idleMs: 5000, maxMs: 10_000 });
  assert.equal(statuses(answer)[0], 200, `RAUTA still serves: ${answer.toString('latin1').slice(0, 200)}`);
}

// ── HTTP/2 frames, written by hand so the fuzzer can send what no client library would ───────────────

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length & 0xffffff, 0, 3);
  head[3] = type & 0xff;
  head[4] = flags & 0xff;
  head.writeUInt32BE(streamId >>> 0, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A header block of literal fields without indexing (no Huffman): any bytes as name and value. */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    bytes.push(0x00, ...hpackInt(n.length, 7, 0), ...n, ...hpackInt(v.length, 7, 0), ...v);
  }
  return Buffer.from(bytes);
}
