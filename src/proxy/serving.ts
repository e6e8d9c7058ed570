import { createServer as createH2cServer } from 'node:http2';
import { createDataPlane } from './data-plane.ts';
import { createHttp1Handler } from './http1-handler.ts';
import { createH2cFront } from './http2/h2c-front.ts';
import { forwardH2cAttempt } from './http2/h2c-forward.ts';
import { H2cPool } from './http2/h2c-pool.ts';
import { createHttpsServer } from './tls/https-server.ts';
import { Tunnels, createUpgradeHandler, isWebSocketUpgrade } from './websocket/tunnel.ts';

/**
 * The modules that serve traffic (HTTP/1 and HTTP/2 handlers, TLS listener, WebSocket tunnels, h2c
 * backends, and through them undici and the policy runtime). Imported by the entry points of a process
 * that serves (main.ts, the worker process) and handed to start.ts; the primary of several workers
 * never imports them.
 */
export const serving = {
  createDataPlane, createHttp1Handler, createH2cServer, createH2cFront, forwardH2cAttempt, H2cPool, createHttpsServer,
  Tunnels, createUpgradeHandler, isWebSocketUpgrade,
};

export type ServingModules = typeof serving;
