#!/usr/bin/env node
import { startEcho } from './echo-server.ts';

/**
 * The echo backend as its own process, for the docker compose stack (`node dist/demo/echo-main.js`).
 * Who it claims to be comes from the environment, like a pod's downward API would give it.
 */
const env = process.env;
const port = Number(env.ECHO_PORT ?? '8081');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`echo: ECHO_PORT "${env.ECHO_PORT}" is not a port\n`);
  process.exit(2);
}
const echo = await startEcho({
  namespace: env.ECHO_NAMESPACE ?? 'default',
  ingress: env.ECHO_INGRESS ?? '',
  service: env.ECHO_SERVICE ?? 'echo',
  pod: env.ECHO_POD ?? 'echo-0',
}, env.ECHO_HOST ?? '0.0.0.0', port);
process.stdout.write(`echo listening on ${echo.host}:${echo.port}\n`);
// As PID 1 in a container, node ignores SIGTERM unless told otherwise; stop promptly instead of being killed.
const stop = () => void echo.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
