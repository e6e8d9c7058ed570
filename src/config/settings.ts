import { boolean, choice, integer, optional, port, seconds, text } from './setting.ts';

const hostOrIp = /^[A-Za-z0-9.:_\-[\]]+$/;

/**
 * Every setting RAUTA reads. The env and flag names are a public contract (install manifests, compose
 * files and users' scripts depend on them): add new ones, never rename.
 */
export const settings = {
  httpPort: port('RAUTA_HTTP_PORT', '--http-port', 8080, 'Plain HTTP listener port'),
  httpsPort: port('RAUTA_HTTPS_PORT', '--https-port', 8443, 'HTTPS listener port'),
  adminPort: port('RAUTA_ADMIN_PORT', '--admin-port', 9000, 'Admin port: /healthz, /readyz, /routes, /metrics, /requests, web UI'),
  bindAddress: text('RAUTA_BIND_ADDRESS', '--bind-address', '0.0.0.0', 'Address the traffic listeners bind to', hostOrIp),
  adminBindAddress: text('RAUTA_ADMIN_BIND_ADDRESS', '--admin-bind-address', '0.0.0.0', 'Address the admin listener binds to (keep it private)', hostOrIp),
  config: optional('RAUTA_CONFIG', '--config', 'Standalone mode: read manifests from this YAML file or folder of files'),
  kubeconfig: optional('KUBECONFIG', '--kubeconfig', 'Kubernetes mode with this kubeconfig; in a pod, in-cluster config is used'),
  ingressClass: text('RAUTA_INGRESS_CLASS', '--ingress-class', 'rauta', 'IngressClass name RAUTA serves', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  controllerName: text('RAUTA_CONTROLLER_NAME', '--controller-name', 'rauta.io/ingress-controller', 'IngressClass spec.controller value RAUTA answers to', /^[A-Za-z0-9.-]+\/[A-Za-z0-9.\-/]+$/),
  logLevel: choice('RAUTA_LOG_LEVEL', '--log-level', 'info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'Log level'),
  maxHeaderSize: integer('RAUTA_MAX_HEADER_SIZE', '--max-header-size', 32 * 1024, 'Maximum request header size in bytes; larger requests get 431', 1024, 1024 * 1024),
  shutdownGraceSeconds: seconds('RAUTA_SHUTDOWN_GRACE_SECONDS', '--shutdown-grace-seconds', 30, 'On SIGTERM, how long in-flight requests may finish'),
  clientHeaderTimeoutSeconds: seconds('RAUTA_CLIENT_HEADER_TIMEOUT_SECONDS', '--client-header-timeout-seconds', 10, 'Time a client has to send the request headers'),
  clientIdleTimeoutSeconds: seconds('RAUTA_CLIENT_IDLE_TIMEOUT_SECONDS', '--client-idle-timeout-seconds', 60, 'Idle keep-alive time for client connections'),
  upstreamConnectTimeoutSeconds: seconds('RAUTA_UPSTREAM_CONNECT_TIMEOUT_SECONDS', '--upstream-connect-timeout-seconds', 5, 'Time to connect to a backend pod'),
  upstreamResponseTimeoutSeconds: seconds('RAUTA_UPSTREAM_RESPONSE_TIMEOUT_SECONDS', '--upstream-response-timeout-seconds', 60, 'Time a backend has to start its response, and the longest pause inside one'),
  upstreamIdleTimeoutSeconds: seconds('RAUTA_UPSTREAM_IDLE_TIMEOUT_SECONDS', '--upstream-idle-timeout-seconds', 4, 'Idle keep-alive time for pooled backend connections (below the 5 s Node.js servers use)'),
  configDebounceMs: integer('RAUTA_CONFIG_DEBOUNCE_MS', '--config-debounce-ms', 100, 'Hold-off after a change before the route table is rebuilt', 0, 60_000),
  configMaxDebounceMs: integer('RAUTA_CONFIG_MAX_DEBOUNCE_MS', '--config-max-debounce-ms', 1000, 'Longest a rebuild waits while changes keep coming', 0, 600_000),

  // ── Kubernetes mode: informers, status, leader election ──

  // ── Telemetry: request events, NATS, OTLP traces, metrics, logs ──

  // ── Load balancing, health checks, retries ──

  // ── TLS, HTTP/2, WebSocket, gRPC ──
  defaultCertificate: optional('RAUTA_DEFAULT_CERTIFICATE', '--default-certificate', 'namespace/name of a kubernetes.io/tls Secret served for unknown SNI; else a self-signed one made at start-up', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  h2c: boolean('RAUTA_H2C', '--h2c', false, 'Also accept HTTP/2 with prior knowledge (h2c) on the plain HTTP port'),
  h2MaxConcurrentStreams: integer('RAUTA_H2_MAX_CONCURRENT_STREAMS', '--h2-max-concurrent-streams', 128, 'HTTP/2: streams a client may have open at once per connection', 1, 10_000),
  h2MaxHeaderListSize: integer('RAUTA_H2_MAX_HEADER_LIST_SIZE', '--h2-max-header-list-size', 32 * 1024, 'HTTP/2: largest request header list (uncompressed bytes) a client may send', 1024, 1024 * 1024),
  h2MaxResetsPer10s: integer('RAUTA_H2_MAX_RESETS_PER_10S', '--h2-max-resets-per-10s', 200, 'HTTP/2: stream resets (client RST_STREAM) allowed per connection in 10 s before it is closed with GOAWAY (CVE-2023-44487)', 1, 1_000_000),
  websocketIdleTimeoutSeconds: seconds('RAUTA_WEBSOCKET_IDLE_TIMEOUT_SECONDS', '--websocket-idle-timeout-seconds', 3600, 'WebSocket tunnel closes after this long without traffic in either direction'),

  // ── Admin API and web UI ──
} as const;

export type Settings = typeof settings;
export type SettingKey = keyof Settings;
export type Config = { readonly [K in SettingKey]: ReturnType<Settings[K]['parse']> };
