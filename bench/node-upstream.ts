import { createServer } from 'node:http';
import { UPSTREAM_BODY } from './nginx.ts';

/**
 * Fallback upstream when nginx is not installed: the same fixed ~100-byte 200 with keep-alive.
 * Usage: node bench/node-upstream.ts PORT
 */
const port = Number(process.argv[2]);
const body = Buffer.from(UPSTREAM_BODY);
const server = createServer({ keepAliveTimeout: 75_000 }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
