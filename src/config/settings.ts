import { boolean, choice, integer, list, optional, port, prime, secret, seconds, serverUrls, text } from './setting.ts';

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
  // Unset resolves by mode (config/load.ts): a laptop's standalone RAUTA keeps its admin port to itself,
  // while a pod's kubelet probes and Prometheus need to reach it.
  adminBindAddress: { ...text('RAUTA_ADMIN_BIND_ADDRESS', '--admin-bind-address', '', 'Address the admin listener binds to (keep it private)', hostOrIp), defaultText: '127.0.0.1 in standalone mode, 0.0.0.0 in Kubernetes mode' },
  config: optional('RAUTA_CONFIG', '--config', 'Standalone mode: read manifests from this YAML file or folder of files'),
  kubeconfig: optional('KUBECONFIG', '--kubeconfig', 'Kubernetes mode with this kubeconfig; in a pod, in-cluster config is used'),
  ingressClass: text('RAUTA_INGRESS_CLASS', '--ingress-class', 'rauta', 'IngressClass name RAUTA serves', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  controllerName: text('RAUTA_CONTROLLER_NAME', '--controller-name', 'rauta.io/ingress-controller', 'IngressClass spec.controller value RAUTA answers to', /^[A-Za-z0-9.-]+\/[A-Za-z0-9.\-/]+$/),
  watchIngressNginx: boolean('RAUTA_WATCH_INGRESS_NGINX', '--watch-ingress-nginx', false, "Also serve Ingresses of ingress-nginx's class (controller k8s.io/ingress-nginx, class nginx), with ingress-nginx's defaults"),
  annotationsPrefix: text('RAUTA_ANNOTATIONS_PREFIX', '--annotations-prefix', 'nginx.ingress.kubernetes.io', 'Prefix of the ingress-nginx annotations RAUTA reads (rauta.io/ ones win over them)', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  allowedResponseHeaders: list('RAUTA_ALLOWED_RESPONSE_HEADERS', '--allowed-response-headers', "Comma-separated response header names the custom-headers annotation may set (ingress-nginx's global-allowed-response-headers); unset: none"),
  gatewayControllerName: text('RAUTA_GATEWAY_CONTROLLER_NAME', '--gateway-controller-name', 'rauta.io/gateway-controller', 'GatewayClass spec.controllerName value RAUTA answers to (Gateway API)', /^[A-Za-z0-9.-]+\/[A-Za-z0-9.\-/]+$/),
  workers: text('RAUTA_WORKERS', '--workers', 'auto', 'Data-plane worker processes sharing the traffic ports: auto (the CPUs this process may use: cgroup quota and CPU affinity, at least 1) or a number; 1 = one process', /^(auto|[1-9][0-9]?)$/),
  workerSemiSpaceMb: integer('RAUTA_WORKER_SEMI_SPACE_MB', '--worker-semi-space-mb', 16, 'V8 young-generation semi-space (MB) of each data-plane worker RAUTA starts (--max-semi-space-size)', 1, 256),
  logLevel: choice('RAUTA_LOG_LEVEL', '--log-level', 'info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'Log level'),
  maxHeaderSize: integer('RAUTA_MAX_HEADER_SIZE', '--max-header-size', 32 * 1024, 'Maximum request header size in bytes; larger requests get 431', 1024, 1024 * 1024),
  shutdownGraceSeconds: seconds('RAUTA_SHUTDOWN_GRACE_SECONDS', '--shutdown-grace-seconds', 30, 'On SIGTERM, how long in-flight requests may finish'),
  clientHeaderTimeoutSeconds: seconds('RAUTA_CLIENT_HEADER_TIMEOUT_SECONDS', '--client-header-timeout-seconds', 10, 'Time a client has to send the request headers'),
  clientBodyTimeoutSeconds: seconds('RAUTA_CLIENT_BODY_TIMEOUT_SECONDS', '--client-body-timeout-seconds', 60, 'Longest pause between two reads of a request body (408 after)'),
  clientBodyMinBytesPerSecond: integer('RAUTA_CLIENT_BODY_MIN_BYTES_PER_SECOND', '--client-body-min-bytes-per-second', 240, 'Slowest average rate a request body may arrive at, over each RAUTA_CLIENT_BODY_TIMEOUT_SECONDS period (408 below it; 0 = no minimum)', 0, 1_000_000_000),
  clientWriteTimeoutSeconds: seconds('RAUTA_CLIENT_WRITE_TIMEOUT_SECONDS', '--client-write-timeout-seconds', 60, 'Longest a client may leave a response unread before its connection is closed'),
  tlsHandshakeTimeoutSeconds: seconds('RAUTA_TLS_HANDSHAKE_TIMEOUT_SECONDS', '--tls-handshake-timeout-seconds', 10, 'Time a client has to complete the TLS handshake'),
  clientIdleTimeoutSeconds: seconds('RAUTA_CLIENT_IDLE_TIMEOUT_SECONDS', '--client-idle-timeout-seconds', 60, 'Idle keep-alive time for client connections'),
  upstreamConnectTimeoutSeconds: seconds('RAUTA_UPSTREAM_CONNECT_TIMEOUT_SECONDS', '--upstream-connect-timeout-seconds', 5, 'Time to connect to a backend pod'),
  upstreamResponseTimeoutSeconds: seconds('RAUTA_UPSTREAM_RESPONSE_TIMEOUT_SECONDS', '--upstream-response-timeout-seconds', 60, 'Time a backend has to start its response, and the longest pause inside one'),
  upstreamMaxConnectionsPerEndpoint: integer('RAUTA_UPSTREAM_MAX_CONNECTIONS_PER_ENDPOINT', '--upstream-max-connections-per-endpoint', 1024, 'HTTP/1.1 connections to one backend endpoint at once; further requests wait for one', 1, 1_000_000),
  upstreamMaxPendingPerEndpoint: integer('RAUTA_UPSTREAM_MAX_PENDING_PER_ENDPOINT', '--upstream-max-pending-per-endpoint', 1024, 'Requests that may wait for a connection to one endpoint (at most the connect timeout); beyond that 503 RAUTA_ERR_UPSTREAM_OVERLOADED', 0, 1_000_000),
  upstreamIdleTimeoutSeconds: seconds('RAUTA_UPSTREAM_IDLE_TIMEOUT_SECONDS', '--upstream-idle-timeout-seconds', 4, 'Idle keep-alive time for pooled backend connections (below the 5 s Node.js servers use)'),
  configDebounceMs: integer('RAUTA_CONFIG_DEBOUNCE_MS', '--config-debounce-ms', 100, 'Hold-off after a change before the route table is rebuilt', 0, 60_000),
  configMaxDebounceMs: integer('RAUTA_CONFIG_MAX_DEBOUNCE_MS', '--config-max-debounce-ms', 1000, 'Longest a rebuild waits while changes keep coming', 0, 600_000),

  // ── Kubernetes mode: informers, status, leader election ──
  watchNamespaces: list('RAUTA_WATCH_NAMESPACE', '--watch-namespace', 'Comma-separated namespaces to watch (IngressClasses are cluster-wide); default all'),
  updateStatus: boolean('RAUTA_UPDATE_STATUS', '--update-status', true, 'Write status.loadBalancer of served Ingresses (leader only)'),
  publishStatusAddress: list('RAUTA_PUBLISH_STATUS_ADDRESS', '--publish-status-address', 'Comma-separated IPs or hostnames written to Ingress status'),
  publishService: optional('RAUTA_PUBLISH_SERVICE', '--publish-service', 'namespace/name of the LoadBalancer Service in front of RAUTA; its status.loadBalancer is copied to Ingresses', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  electionId: text('RAUTA_ELECTION_ID', '--election-id', 'rauta-leader', 'Name of the coordination.k8s.io/v1 Lease used for leader election', /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  podNamespace: text('POD_NAMESPACE', '--pod-namespace', 'default', 'RAUTA\'s own namespace (the Lease and the publish service lookups live there)', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  podName: optional('POD_NAME', '--pod-name', 'Leader-election identity; default hostname_pid'),
  leaseDurationSeconds: seconds('RAUTA_LEASE_DURATION_SECONDS', '--lease-duration-seconds', 15, 'How long a Lease holds without renewal before another replica may take it'),
  leaseRenewDeadlineSeconds: seconds('RAUTA_LEASE_RENEW_DEADLINE_SECONDS', '--lease-renew-deadline-seconds', 10, 'The leader steps down when it could not renew for this long'),
  leaseRetryPeriodSeconds: seconds('RAUTA_LEASE_RETRY_PERIOD_SECONDS', '--lease-retry-period-seconds', 2, 'Interval of Lease renewals and acquisition attempts'),

  // ── Telemetry: request events, NATS, OTLP traces, metrics, logs ──
  clusterName: text('RAUTA_CLUSTER_NAME', '--cluster-name', '', 'Cluster name put in every event (context.cluster)'),
  nodeName: text('NODE_NAME', '--node-name', '', 'The node RAUTA runs on (downward API spec.nodeName), put in every event (context.node)'),
  eventIncludeQuery: boolean('RAUTA_EVENT_INCLUDE_QUERY', '--event-include-query', false, 'Keep the query string in event paths (it may carry secrets)'),
  ringSize: integer('RAUTA_RING_SIZE', '--ring-size', 1000, 'Request events kept in memory for :9000/requests', 0, 1_000_000),
  liveFeedMaxClients: integer('RAUTA_LIVE_FEED_MAX_CLIENTS', '--live-feed-max-clients', 32, 'Clients of the live feed (:9000/requests/stream) at once; more get 503', 0, 10_000),
  liveFeedBufferBytes: integer('RAUTA_LIVE_FEED_BUFFER_BYTES', '--live-feed-buffer-bytes', 128 * 1024, 'Bytes a live-feed client may fall behind before it is disconnected and counted', 64 * 1024, 64 * 1024 * 1024),
  eventQueueSize: integer('RAUTA_EVENT_QUEUE_SIZE', '--event-queue-size', 10_000, 'Per-sink queue of events waiting to be delivered; overflow is dropped and counted', 1, 1_000_000),
  natsUrl: serverUrls('NATS_URL', '--nats-url', 'NATS server(s): nats://[user:pass@]host:4222 or tls://…, comma-separated; unset = no NATS', ['nats', 'tls'], 4222),
  natsCreds: optional('NATS_CREDS', '--nats-creds', 'NATS credentials file (JWT + nkey seed)'),
  natsToken: optional('NATS_TOKEN', '--nats-token', 'NATS auth token'),
  natsSubject: text('RAUTA_NATS_SUBJECT', '--nats-subject', 'rauta.requests', 'NATS subject for request events', /^[^\s*>]+$/),
  natsMirrorSubject: optional('RAUTA_NATS_MIRROR_SUBJECT', '--nats-mirror-subject', 'Second subject every request event is also published to (e.g. observations.rauta)', /^[^\s*>]+$/),
  natsBufferSize: integer('RAUTA_NATS_BUFFER_SIZE', '--nats-buffer-size', 10_000, 'Events held while NATS is disconnected; beyond this they are dropped and counted', 0, 10_000_000),
  otelExporterOtlpEndpoint: optional('OTEL_EXPORTER_OTLP_ENDPOINT', '--otel-exporter-otlp-endpoint', 'OTLP/HTTP base URL (spans go to <url>/v1/traces); unset = tracing off'),
  otelExporterOtlpTracesEndpoint: optional('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '--otel-exporter-otlp-traces-endpoint', 'Full OTLP/HTTP traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT'),
  otelExporterOtlpProtocol: choice('OTEL_EXPORTER_OTLP_PROTOCOL', '--otel-exporter-otlp-protocol', 'http/protobuf', ['http/protobuf', 'http/json'], 'OTLP encoding'),
  otelExporterOtlpTracesProtocol: optional('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', '--otel-exporter-otlp-traces-protocol', 'OTLP encoding for traces (http/protobuf or http/json); wins over OTEL_EXPORTER_OTLP_PROTOCOL', /^http\/(protobuf|json)$/),
  otelExporterOtlpTimeout: integer('OTEL_EXPORTER_OTLP_TIMEOUT', '--otel-exporter-otlp-timeout', 10_000, 'Milliseconds one span export may take', 1, 600_000),
  otelServiceName: text('OTEL_SERVICE_NAME', '--otel-service-name', 'rauta', 'service.name of RAUTA\'s spans'),
  otelTracesSampler: choice('OTEL_TRACES_SAMPLER', '--otel-traces-sampler', 'parentbased_always_on', ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], 'Span sampler'),
  otelTracesSamplerArg: optional('OTEL_TRACES_SAMPLER_ARG', '--otel-traces-sampler-arg', 'Sampler argument (the ratio for *traceidratio)'),
  otelResourceAttributes: optional('OTEL_RESOURCE_ATTRIBUTES', '--otel-resource-attributes', 'Extra resource attributes: key=value,key2=value2'),
  otelBspScheduleDelay: integer('OTEL_BSP_SCHEDULE_DELAY', '--otel-bsp-schedule-delay', 5000, 'Milliseconds between span batch exports', 1, 600_000),
  otelBspMaxQueueSize: integer('OTEL_BSP_MAX_QUEUE_SIZE', '--otel-bsp-max-queue-size', 2048, 'Spans waiting for export; beyond this they are dropped', 1, 1_000_000),
  accessLog: boolean('RAUTA_ACCESS_LOG', '--access-log', false, 'One JSON access-log line per request on stdout (asynchronous)'),

  // ── Load balancing, health checks, retries ──
  maglevTableSize: prime('RAUTA_MAGLEV_TABLE_SIZE', '--maglev-table-size', 65_537, 'Maglev lookup table size (a prime, ≥ 100 × the endpoints of the largest Service)', 3, 16_777_259),
  passiveFailureThreshold: integer('RAUTA_PASSIVE_FAILURE_THRESHOLD', '--passive-failure-threshold', 5, 'Consecutive connect failures, resets or 5xx that eject an endpoint (0 turns passive ejection off)', 0, 1000),
  ejectionBaseSeconds: seconds('RAUTA_EJECTION_BASE_SECONDS', '--ejection-base-seconds', 30, 'First ejection time; it grows by this much with each repeated ejection'),
  maxEjectionSeconds: seconds('RAUTA_MAX_EJECTION_SECONDS', '--max-ejection-seconds', 300, 'Longest single ejection'),
  maxEjectionPercent: integer('RAUTA_MAX_EJECTION_PERCENT', '--max-ejection-percent', 50, "Most of a Service's endpoints ejected at once, in percent (one may always be)", 0, 100),
  healthCheckConcurrency: integer('RAUTA_HEALTH_CHECK_CONCURRENCY', '--health-check-concurrency', 32, 'Active health probes in flight at once', 1, 10_000),
  retryBudgetSeconds: seconds('RAUTA_RETRY_BUDGET_SECONDS', '--retry-budget-seconds', 10, 'No retry starts once a request has spent this long on upstream attempts'),

  // ── TLS, HTTP/2, WebSocket, gRPC ──
  defaultCertificate: optional('RAUTA_DEFAULT_CERTIFICATE', '--default-certificate', 'namespace/name of a kubernetes.io/tls Secret served for unknown SNI; else a self-signed one made at start-up', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  h2c: boolean('RAUTA_H2C', '--h2c', false, 'Also accept HTTP/2 with prior knowledge (h2c) on the plain HTTP port'),
  h2MaxConcurrentStreams: integer('RAUTA_H2_MAX_CONCURRENT_STREAMS', '--h2-max-concurrent-streams', 128, 'HTTP/2: streams a client may have open at once per connection', 1, 10_000),
  h2MaxHeaderListSize: integer('RAUTA_H2_MAX_HEADER_LIST_SIZE', '--h2-max-header-list-size', 32 * 1024, 'HTTP/2: largest request header list (uncompressed bytes) a client may send', 1024, 1024 * 1024),
  h2MaxResetsPerClientPer10s: integer('RAUTA_H2_MAX_RESETS_PER_CLIENT_PER_10S', '--h2-max-resets-per-client-per-10s', 1000, 'HTTP/2: stream resets allowed per client address in 10 s, over all its connections; past it the address gets GOAWAY on every connection until the window ends', 1, 10_000_000),
  h2MaxResetsPer10s: integer('RAUTA_H2_MAX_RESETS_PER_10S', '--h2-max-resets-per-10s', 200, 'HTTP/2: stream resets (client RST_STREAM) allowed per connection in 10 s before it is closed with GOAWAY (CVE-2023-44487)', 1, 1_000_000),
  websocketIdleTimeoutSeconds: seconds('RAUTA_WEBSOCKET_IDLE_TIMEOUT_SECONDS', '--websocket-idle-timeout-seconds', 3600, 'WebSocket tunnel closes after this long without traffic in either direction'),

  // ── Admin API and web UI ──
  adminAllowedHosts: list('RAUTA_ADMIN_ALLOWED_HOSTS', '--admin-allowed-hosts', 'Without an admin token, the admin port answers only requests whose Host is localhost, an IP address or one of these names (comma-separated, e.g. the metrics Service name): a DNS-rebinding guard'),
  adminToken: secret('RAUTA_ADMIN_TOKEN', '--admin-token', 'Bearer token required by the web UI and every admin API except /healthz and /readyz (prefer the env var: flags show in ps)', 16),
  traceUrlTemplate: optional('RAUTA_TRACE_URL_TEMPLATE', '--trace-url-template', 'Web UI link to a trace, {trace_id} is replaced (e.g. http://localhost:16686/trace/{trace_id})', /^https?:\/\/\S*\{trace_id\}\S*$/),
} as const;

export type Settings = typeof settings;
export type SettingKey = keyof Settings;
export type Config = { readonly [K in SettingKey]: ReturnType<Settings[K]['parse']> };
