import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

/**
 * `node-peer`: the plain Node proxy a user would write instead of RAUTA — the `http-proxy` package
 * with a keep-alive agent, X-Forwarded-* on. Usage: node bench/node-peer.ts PORT UPSTREAM_PORT
 */
const port = Number(process.argv[2]);
const target = `http://127.0.0.1:${Number(process.argv[3])}`;
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 1024 });
const proxy = httpProxy.createProxyServer({ target, agent, xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 75_000;
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  agent.destroy();
});
