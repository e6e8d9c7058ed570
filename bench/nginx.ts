import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { type Child, hasBinary, startChild } from './process.ts';

export const NGINX = '/usr/sbin/nginx';

export function hasNginx(): boolean {
  return hasBinary(NGINX);
}

/** The fixed upstream answer: ~100 bytes, so the benchmark measures proxying, not payload copying. */
export const UPSTREAM_BODY = `${'{"ok":true,"service":"bench-upstream","pad":"'.padEnd(96, 'x')}"}\n`;

/**
 * Everything nginx would otherwise write under /var (pid, logs, temp files) goes into the private
 * prefix, so a bench run needs no root and leaves nothing behind. One worker: one core's worth.
 */
function mainConf(prefix: string, http: string, workers = 1): string {
  const user = userInfo();
  // As root the master would drop workers to `nobody`; keep them as the current user instead.
  const userLine = user.uid === 0 ? `user ${user.username};\n` : '';
  return `${userLine}worker_processes ${workers};
daemon off;
master_process on;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'client_body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  keepalive_requests 10000000;
  keepalive_timeout 75s;
${http}
}
`;
}

function run(name: string, prefix: string, conf: string, core: number | undefined): Child {
  mkdirSync(prefix, { recursive: true });
  const path = join(prefix, 'nginx.conf');
  writeFileSync(path, conf);
  // -e: the error log before the config is read also stays in the prefix (nginx ≥ 1.19.5).
  return startChild(name, NGINX, ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', path], { core });
}

/** nginx as the upstream: one fixed 200 response, keep-alive. */
export function startNginxUpstream(prefix: string, port: number, core: number | undefined): Child {
  const body = UPSTREAM_BODY.replaceAll('"', '\\"');
  return run('upstream (nginx)', prefix, mainConf(prefix, `  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / { default_type application/json; return 200 "${body}"; }
  }`), core);
}

/**
 * nginx as a reverse proxy with upstream keep-alive, doing the same header work RAUTA does
 * (X-Forwarded-*, a request id) so the comparison is like for like.
 */
export function startNginxProxy(prefix: string, port: number, upstreamPort: number, core: number | undefined, workers = 1): Child {
  return run('nginx', prefix, mainConf(prefix, `  upstream backend {
    server 127.0.0.1:${upstreamPort};
    keepalive 256;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Request-Id $request_id;
      add_header X-Request-Id $request_id;
    }
  }`, workers), core);
}
