import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/load.ts';
import { parseManifests } from '../src/sources/file/manifests.ts';
import { translate } from '../src/translate/translate.ts';
import { getJson } from './support/client.ts';

// No Docker engine runs here: the compose file is read and its wiring checked — every URL and port RAUTA
// is given reaches a service that listens there, every mount exists, every image is pinned.

interface ServiceNetwork { ipv4_address?: string }
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[];
  extra_hosts?: string[];
  networks?: string[] | Record<string, ServiceNetwork | null>;
}
interface Compose {
  services: Record<string, ComposeService>;
  networks?: Record<string, { ipam?: { config?: { subnet: string }[] } } | null>;
}

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const compose = parse(read('docker-compose.yml')) as Compose;
const services = compose.services;
const rauta = services.rauta;
const rautaEnv = rauta.environment ?? {};

/** Default listening ports of the third-party images, from their documentation. */
const IMAGE_DEFAULT_PORTS: Record<string, readonly number[]> = {
  'hashicorp/http-echo': [5678],
  nats: [4222],
  'jaegertracing/jaeger': [4317, 4318, 16686],
  'prom/prometheus': [9090],
};

const flag = (cmd: readonly string[], name: string): string | undefined => {
  const i = cmd.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i === -1) return undefined;
  return cmd[i].includes('=') ? cmd[i].slice(cmd[i].indexOf('=') + 1) : cmd[i + 1];
};
const portOf = (value: string) => Number(value.slice(value.lastIndexOf(':') + 1));

/** The ports a service's process listens on, from its image, command and environment. */
function listensOn(name: string): Set<number> {
  const s = services[name];
  assert.ok(s, `service ${name} exists`);
  const cmd = s.command ?? [];
  if (s.build !== undefined) {
    // Our image: RAUTA itself, or the echo backend when the command runs it.
    if (cmd.includes('dist/demo/echo-main.js')) return new Set([Number(s.environment?.ECHO_PORT ?? 8081)]);
    const c = loadConfig([], s.environment ?? {}).config;
    return new Set([c.httpPort, c.httpsPort, c.adminPort]);
  }
  const repo = s.image!.slice(0, s.image!.lastIndexOf(':'));
  const ports = new Set(IMAGE_DEFAULT_PORTS[repo] ?? assert.fail(`no documented ports for ${repo}`));
  if (repo === 'hashicorp/http-echo') {
    const listen = flag(cmd, '-listen');
    if (listen) return new Set([portOf(listen)]);
  }
  if (repo === 'nats') {
    const monitor = flag(cmd, '-m');
    if (monitor) ports.add(Number(monitor));
  }
  if (repo === 'prom/prometheus') {
    const listen = flag(cmd, '--web.listen-address');
    if (listen) return new Set([portOf(listen)]);
  }
  return ports;
}

const networksOf = (s: ComposeService): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? { default: null }));
const addressOf = (s: ComposeService): string | undefined => (Array.isArray(s.networks) ? undefined : Object.values(s.networks ?? {}).find((n) => n?.ipv4_address)?.ipv4_address);

describe('compose - images and services', () => {
  it('has RAUTA, NATS, two demo backends, a trace viewer and Prometheus', () => {
    assert.deepEqual(Object.keys(services).sort(), ['echo', 'hello', 'jaeger', 'nats', 'prometheus', 'rauta']);
  });

  it('pins every image to a tag that is not latest; RAUTA is built from the Dockerfile', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.image, `${name} names its image`);
      const tag = /:([^/:]+)$/.exec(s.image)?.[1];
      assert.ok(tag, `${name}: ${s.image} has a tag`);
      assert.notEqual(tag, 'latest', name);
      if (s.build === undefined) assert.match(tag, /\d/, `${name}: ${s.image} is pinned to a version`);
    }
    assert.equal(rauta.build, '.');
    assert.ok(existsSync(new URL('Dockerfile', root)));
  });

  it('NATS runs with JetStream and monitoring', () => {
    const cmd = services.nats.command ?? [];
    assert.ok(cmd.includes('-js'));
    assert.equal(flag(cmd, '-m'), '8222');
  });

  it('every depends_on names a service', () => {
    for (const [name, s] of Object.entries(services)) for (const d of s.depends_on ?? []) assert.ok(services[d], `${name} depends on ${d}`);
  });

  it('every published port is one the container listens on; the admin port only on loopback', () => {
    const admin = loadConfig([], rautaEnv).config.adminPort;
    for (const [name, s] of Object.entries(services)) {
      for (const p of s.ports ?? []) {
        const parts = p.split(':');
        const container = Number(parts[parts.length - 1]);
        assert.ok(listensOn(name).has(container), `${name} publishes ${p} but listens on ${[...listensOn(name)]}`);
        if (name === 'rauta' && container === admin) assert.equal(parts[0], '127.0.0.1', 'admin port bound to the host loopback');
      }
    }
  });

  it('every mounted file or folder exists', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const [src] = v.split(':');
        assert.ok(src.startsWith('./'), `${name}: ${v} is a bind mount from the repository`);
        assert.ok(existsSync(new URL(src, root)), `${name}: ${src} exists`);
        assert.match(v, /:ro$/, `${name}: ${v} is read-only`);
      }
    }
  });
});

describe('compose - RAUTA\'s wiring', () => {
  const mountTarget = (s: ComposeService, path: string) =>
    (s.volumes ?? []).map((v) => v.split(':')).find(([, target]) => path === target || path.startsWith(`${target}/`));

  it('its settings load, and RAUTA_CONFIG is a mounted folder of manifests', () => {
    const { config } = loadConfig([], rautaEnv);
    assert.ok(config.config);
    const mount = mountTarget(rauta, config.config);
    assert.ok(mount, `${config.config} is inside a mounted volume`);
    assert.ok(statSync(new URL(mount[0], root)).isDirectory());
  });

  for (const variable of ['NATS_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    it(`${variable} points at a service on a shared network that listens there`, () => {
      const url = new URL(rautaEnv[variable]);
      const target = services[url.hostname];
      assert.ok(target, `${variable} host ${url.hostname} is a compose service`);
      assert.ok(listensOn(url.hostname).has(Number(url.port)), `${url.hostname} listens on ${url.port}`);
      assert.ok(networksOf(target).some((n) => networksOf(rauta).includes(n)), 'they share a network');
    });
  }

  it('OTLP goes over HTTP/protobuf to the OTLP/HTTP port', () => {
    assert.equal(rautaEnv.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, 'http/protobuf');
    assert.equal(new URL(rautaEnv.OTEL_EXPORTER_OTLP_ENDPOINT).port, '4318');
    assert.equal(new URL(rautaEnv.NATS_URL).protocol, 'nats:');
  });

  it('the trace viewer UI is published, its OTLP ports are not (a URPO on the host keeps them)', () => {
    assert.deepEqual(services.jaeger.ports, ['16686:16686']);
  });
});

describe('compose - the manifests RAUTA serves in the stack', () => {
  const dir = 'integrations/compose/manifests/';
  const files = readdirSync(new URL(dir, root)).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: read(dir + f) }));
  const objects = parseManifests(files);
  const { table } = translate(objects, loadConfig([], rautaEnv).config);

  it('parse with RAUTA\'s own manifest parser and translate without error diagnostics', () => {
    assert.ok(files.length >= 1);
    assert.deepEqual(objects.problems, []);
    assert.deepEqual(table.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(table.routes.map((r) => `${r.host} ${r.path} → ${r.backend.service}`).sort(),
      ['demo.local / → hello', 'demo.local /echo → echo']);
  });

  it('every endpoint is the fixed address of a compose service listening on that port', () => {
    const subnet = compose.networks?.demo?.ipam?.config?.[0]?.subnet;
    assert.equal(subnet, '172.28.0.0/24');
    const byAddress = new Map(Object.entries(services).flatMap(([name, s]) => (addressOf(s) ? [[addressOf(s)!, name] as const] : [])));
    const endpoints = table.routes.flatMap((r) => r.backend.endpoints);
    assert.equal(endpoints.length, 2);
    for (const ep of endpoints) {
      assert.ok(ep.ip.startsWith('172.28.0.'), `${ep.ip} in ${subnet}`);
      const name = byAddress.get(ep.ip);
      assert.ok(name, `${ep.ip} is the address of a compose service`);
      assert.ok(listensOn(name).has(ep.port), `${name} listens on ${ep.port}`);
      assert.ok(networksOf(services[name]).every((n) => networksOf(rauta).includes(n)), `RAUTA reaches ${name}`);
    }
  });
});

describe('compose - Prometheus', () => {
  const prom = services.prometheus;
  const configPath = flag(prom.command ?? [], '--config.file')!;
  const hostPath = (target: string) => (prom.volumes ?? []).map((v) => v.split(':')).find(([, t]) => t === target)?.[0];

  it('reads the mounted config, whose rule files are mounted too', () => {
    const src = hostPath(configPath);
    assert.ok(src, `${configPath} is mounted`);
    const config = parse(read(src)) as { rule_files: string[] };
    for (const rules of config.rule_files) assert.ok(hostPath(rules), `${rules} is mounted`);
  });

  it('scrapes RAUTA on its admin port', () => {
    const config = parse(read(hostPath(configPath)!)) as { scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[] };
    const job = config.scrape_configs.find((j) => j.job_name === 'rauta');
    assert.ok(job);
    assert.equal(job.metrics_path, '/metrics');
    const [host, port] = job.static_configs[0].targets[0].split(':');
    assert.equal(host, 'rauta');
    assert.equal(Number(port), loadConfig([], rautaEnv).config.adminPort);
    assert.ok(networksOf(prom).some((n) => networksOf(rauta).includes(n)));
  });
});

describe('compose - the echo backend entry point', () => {
  it('is built from src/demo/echo-main.ts and answers as the identity it is given', async () => {
    assert.deepEqual(services.echo.command, ['dist/demo/echo-main.js']);
    assert.ok(existsSync(new URL('src/demo/echo-main.ts', root)));
    const child = spawn(process.execPath, [new URL('src/demo/echo-main.ts', root).pathname], {
      env: { ...process.env, ...services.echo.environment, ECHO_PORT: '0', ECHO_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('echo did not start within 10 s')), 10_000);
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        });
        child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`echo exited with ${code}`)); });
      });
      const res = await getJson<{ pod: string; service: string; path: string }>(port, '/echo/x', { host: 'demo.local' });
      assert.equal(res.status, 200);
      assert.deepEqual([res.json.pod, res.json.service, res.json.path], ['echo-0', 'echo', '/echo/x']);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'stops cleanly on SIGTERM');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('compose - URPO on the host instead of Jaeger', () => {
  const override = parse(read('integrations/urpo/compose.urpo.yml')) as Compose;

  it('the override only re-points RAUTA\'s OTLP exporter at host.docker.internal, which it maps', () => {
    assert.deepEqual(Object.keys(override.services), ['rauta']);
    const o = override.services.rauta;
    const url = new URL(o.environment!.OTEL_EXPORTER_OTLP_ENDPOINT);
    assert.equal(url.hostname, 'host.docker.internal');
    assert.equal(url.port, '4318', 'URPO\'s OTLP/HTTP port (RAUTA exports OTLP over HTTP only)');
    assert.equal(o.environment!.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, 'http/protobuf');
    // RAUTA accepts these values (its settings validate the protocol).
    loadConfig([], { ...rautaEnv, ...o.environment });
    assert.deepEqual(o.extra_hosts, ['host.docker.internal:host-gateway']);
  });
});

describe('compose - the commands in docs/deploy.md match the stack', () => {
  const readme = read('docs/deploy.md');
  it('shows docker compose up, the curl, nats sub and the trace viewer URL, on ports the stack publishes', () => {
    for (const text of ['docker compose up', "curl -H 'Host: demo.local' localhost:8080/", 'nats sub rauta.requests', 'http://localhost:16686']) {
      assert.ok(readme.includes(text), text);
    }
    const published = (name: string) => (services[name].ports ?? []).map((p) => Number(p.split(':').at(-2)));
    assert.ok(published('rauta').includes(8080));
    assert.ok(published('nats').includes(4222), 'nats sub on the host reaches localhost:4222');
    assert.ok(published('jaeger').includes(16686));
    assert.ok(published('prometheus').includes(9090));
    const hosts = parseManifests([{ name: 'demo.yaml', text: read('integrations/compose/manifests/demo.yaml') }]).ingresses.flatMap((i) => (i.spec?.rules ?? []).map((r) => r.host));
    assert.deepEqual(hosts, ['demo.local']);
  });
});
