#!/usr/bin/env node
/**
 * Proxy throughput with and without live-feed clients (`node bench/live-feed.ts`, after `npm run build`):
 * the same load three times, with no feed client, with RAUTA_LIVE_FEED_MAX_CLIENTS (32) clients that
 * read everything, and with 1,000 attempted clients that never read (968 refused, 32 dropped once they
 * fall behind). Prints requests per second and the feed's own counters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import { BENCH_HOST, startRauta } from './rauta-target.ts';
import { startUpstream } from './targets.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, cli: { type: 'string' }, 'skip-stalled': { type: 'boolean', default: false } } });
const seconds = Number(args.seconds);
const connections = Number(args.connections);

async function metric(adminPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/** A reading feed client; returns a function that closes it. */
function reader(adminPort: number): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: adminPort, path: '/requests/stream', agent: false }, (res) => {
      res.resume();
      resolve(() => res.destroy());
    });
    req.on('error', reject);
    req.end();
  });
}

function stalled(adminPort: number): Socket {
  const s = connect({ host: '127.0.0.1', port: adminPort }, () => {
    s.write('GET /requests/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    s.pause();
  });
  s.on('error', () => {});
  return s;
}

const dir = mkdtempSync(join(tmpdir(), 'rauta-feed-bench-'));
const upstream = await startUpstream(dir, undefined);
// --cli: another build's dist/cli.js, for a before/after comparison (--skip-stalled for builds without a client cap).
const rauta = await startRauta({ name: 'rauta', dir, upstreamPort: upstream.port, core: undefined, env: { RAUTA_WORKERS: '1' }, cli: args.cli });
const url = `http://127.0.0.1:${rauta.port}/`;
try {
  const load = () => runLoad({ url, host: BENCH_HOST, connections, seconds, core: undefined });
  const none = await load();
  process.stdout.write(`no feed clients:            ${Math.round(none.rps)} req/s (errors ${none.errors})\n`);

  const closers = await Promise.all(Array.from({ length: 32 }, () => reader(rauta.adminPort)));
  const reading = await load();
  process.stdout.write(`32 reading feed clients:    ${Math.round(reading.rps)} req/s (errors ${reading.errors})\n`);
  for (const close of closers) close();

  if (!args['skip-stalled']) {
    const sockets = Array.from({ length: 1000 }, () => stalled(rauta.adminPort));
    await new Promise((r) => setTimeout(r, 2000));
    const stalledRun = await load();
    process.stdout.write(`1,000 non-reading attempts: ${Math.round(stalledRun.rps)} req/s (errors ${stalledRun.errors}); `
      + `refused ${await metric(rauta.adminPort, 'rauta_live_feed_rejected_clients_total')}, dropped ${await metric(rauta.adminPort, 'rauta_live_feed_dropped_clients_total')}, `
      + `still connected ${await metric(rauta.adminPort, 'rauta_live_feed_clients')}, buffered ${await metric(rauta.adminPort, 'rauta_live_feed_buffered_bytes')} bytes\n`);
    for (const s of sockets) s.destroy();
  }
} finally {
  await rauta.child.stop();
  await upstream.child.stop();
  rmSync(dir, { recursive: true, force: true });
}
