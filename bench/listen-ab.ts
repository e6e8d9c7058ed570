/**
 * How N worker processes should share a port: `node:cluster` (the primary accepts every connection and
 * hands it to a worker, round-robin — the default on Linux) against `reusePort` (every worker has its
 * own listening socket on the same port, and the kernel spreads connections). Two workers of a small
 * HTTP server answer the same wrk load, interleaved round by round; req/s medians and the primary's CPU.
 *
 *   ./node_modules/.bin/node bench/listen-ab.ts [rounds] [seconds]
 */
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { runLoad } from './load.ts';
import { clockTicks, cpuMeter } from './proc-stats.ts';
import { freePort, waitForHttp } from './process.ts';
import { median } from './report.ts';

const BODY = '{"ok":true}\n';
const serve = () => createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(BODY);
});

if (cluster.isWorker) {
  serve().listen(Number(process.env.PORT), '127.0.0.1');
} else if (process.env.REUSEPORT_CHILD === '1') {
  serve().listen({ port: Number(process.env.PORT), host: '127.0.0.1', reusePort: true });
} else if (process.env.CLUSTER_PRIMARY === '1') {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  for (let i = 0; i < 2; i++) cluster.fork({ PORT: process.env.PORT });
} else {
  const rounds = Number(process.argv[2] ?? 3);
  const seconds = Number(process.argv[3] ?? 5);
  const me = new URL(import.meta.url).pathname;
  const clusterPort = await freePort();
  const reusePort = await freePort();
  const primary = fork(me, [], { env: { ...process.env, CLUSTER_PRIMARY: '1', PORT: String(clusterPort) }, stdio: 'ignore' });
  const kids = [0, 1].map(() => fork(me, [], { env: { ...process.env, REUSEPORT_CHILD: '1', PORT: String(reusePort) }, stdio: 'ignore' }));
  const ticks = clockTicks();
  const out = { cluster: [] as number[], reusePort: [] as number[], clusterUs: [] as number[], reusePortUs: [] as number[] };
  try {
    await waitForHttp(undefined, clusterPort);
    await waitForHttp(undefined, reusePort);
    for (let r = 0; r < rounds; r++) {
      // CPU of the whole process tree (cluster: primary + workers; reusePort: the two workers) per request.
      const meter = cpuMeter(primary.pid ?? 0, ticks);
      const c = await runLoad({ url: `http://127.0.0.1:${clusterPort}/`, host: 'bench', connections: 50, seconds, core: undefined });
      const cUs = ((meter() / 100) * 1e6) / c.rps;
      const meters = kids.map((k) => cpuMeter(k.pid ?? 0, ticks));
      const p = await runLoad({ url: `http://127.0.0.1:${reusePort}/`, host: 'bench', connections: 50, seconds, core: undefined });
      const pUs = ((meters.reduce((a, m) => a + m(), 0) / 100) * 1e6) / p.rps;
      out.cluster.push(c.rps);
      out.reusePort.push(p.rps);
      out.clusterUs.push(cUs);
      out.reusePortUs.push(pUs);
      process.stdout.write(`round ${r + 1}: cluster ${c.rps.toFixed(0)} req/s (${cUs.toFixed(1)} µs/req), reusePort ${p.rps.toFixed(0)} req/s (${pUs.toFixed(1)} µs/req)\n`);
    }
  } finally {
    primary.kill();
    for (const k of kids) k.kill();
  }
  process.stdout.write(`median: cluster ${median(out.cluster).toFixed(0)} req/s, ${median(out.clusterUs).toFixed(1)} µs/req; reusePort ${median(out.reusePort).toFixed(0)} req/s, ${median(out.reusePortUs).toFixed(1)} µs/req; reusePort ÷ cluster req/s ${median(out.reusePort.map((x, i) => x / out.cluster[i])).toFixed(2)}\n`);
}
