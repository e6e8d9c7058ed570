import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { listCollection, watchCollection } from './collection.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { ApiError, statusObject } from './errors.ts';
import { openApiGroupVersion, openApiIndex } from './openapi.ts';
import { type Json, PatchError, jsonPatch, mergePatch } from './patch.ts';
import { GATEWAY_API_CRDS, RESOURCE_TYPES, type ResourceType, findByKind, findType } from './resources.ts';
import { SelectorError } from './selectors.ts';
import { type KubeObject, Store } from './store.ts';

export interface FakeApiServerOptions {
  /** Interval of BOOKMARK events on watches that allow them. */
  readonly bookmarkIntervalMs?: number;
  readonly expiredAs?: 'event' | 'status';
}

export interface RequestLog {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string | undefined;
  readonly status: number;
  /** The bearer token: tests give each client its own, to tell who wrote what. */
  readonly user: string;
}

interface Target {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly status: boolean;
}

/**
 * A Kubernetes API server over real HTTP, for tests: discovery, list/watch with resourceVersions,
 * selectors, CRUD with optimistic concurrency, the status subresource, and fault injection. Unmodified
 * client-node informers and kubectl talk to it.
 */
export class FakeApiServer {
  readonly store = new Store();
  readonly requests: RequestLog[] = [];
  private readonly server: Server;
  private readonly watches = new Set<ServerResponse>();
  private readonly opts: Required<FakeApiServerOptions>;
  private failUntil = 0;
  private failStatus = 503;
  private failuresLeft = 0;
  private latencyMs = 0;
  port = 0;

  private constructor(opts: FakeApiServerOptions) {
    this.opts = { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 1000, expiredAs: opts.expiredAs ?? 'event' };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
  }

  static async start(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const api = new FakeApiServer(opts);
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    api.port = (api.server.address() as AddressInfo).port;
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get activeWatches(): number {
    return this.watches.size;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── fault injection ──

  /** Ends every open watch: `abort` resets the sockets, `close` ends the streams cleanly. */
  dropWatches(mode: 'abort' | 'close' = 'abort'): void {
    for (const res of this.watches) {
      if (mode === 'abort') res.socket?.destroy();
      else res.end();
    }
    this.watches.clear();
  }

  /** Forgets the event history: clients resuming from an older resourceVersion get 410 Expired. */
  compact(): void {
    this.store.compact();
  }

  /**
   * Every request fails with `status` for `ms` milliseconds, and open watches are dropped. With
   * `atLeast`, the outage also lasts until that many requests have failed: a client slowed down by a
   * loaded machine still meets it.
   */
  failFor(ms: number, status = 503, atLeast = 0): void {
    this.failUntil = Date.now() + ms;
    this.failStatus = status;
    this.failuresLeft = atLeast;
    this.dropWatches();
  }

  get failing(): boolean {
    return Date.now() < this.failUntil || this.failuresLeft > 0;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  // ── custom resources ──

  /** The resource types served now: built-in ones, and custom ones whose CRD exists. */
  servedTypes(): ResourceType[] {
    const crdType = findByKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    const crds = crdType === undefined ? new Set<string>() : new Set(this.store.list(crdType).map((c) => c.metadata.name));
    return RESOURCE_TYPES.filter((t) => t.crd === undefined || crds.has(t.crd));
  }

  /** Creates the Gateway API standard-channel CRDs (as `kubectl apply -f standard-install.yaml` would). */
  installGatewayApi(): void {
    for (const name of GATEWAY_API_CRDS) {
      const [plural, ...group] = name.split('.');
      this.put({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
        metadata: { name, annotations: { 'gateway.networking.k8s.io/bundle-version': 'v1.3.0', 'gateway.networking.k8s.io/channel': 'standard' } },
        spec: { group: group.join('.'), names: { plural }, scope: 'Namespaced' },
      });
    }
  }

  // ── direct access for tests (no HTTP) ──

  typeOf(obj: { apiVersion?: unknown; kind?: unknown }): ResourceType {
    const type = findByKind(String(obj.apiVersion), String(obj.kind));
    if (!type) throw new Error(`the fake API server does not serve ${String(obj.apiVersion)} ${String(obj.kind)}`);
    return type;
  }

  /** Creates or unconditionally replaces an object (status included). */
  put(obj: Record<string, unknown>): KubeObject {
    const input = structuredClone(obj) as unknown as KubeObject;
    const type = this.typeOf(input);
    const existing = this.store.get(type, input.metadata.namespace ?? 'default', input.metadata.name);
    if (!existing) return this.store.create(type, input);
    const main = this.store.update(type, existing.metadata.namespace, existing.metadata.name, { ...input, metadata: { ...input.metadata, resourceVersion: undefined } }, 'main');
    if (!type.hasStatus || JSON.stringify(input.status) === JSON.stringify(main.status)) return main;
    return this.store.update(type, existing.metadata.namespace, existing.metadata.name, { ...main, status: input.status ?? undefined }, 'status');
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(this.typeOf({ apiVersion, kind }), namespace ?? 'default', name);
  }

  list(apiVersion: string, kind: string): KubeObject[] {
    return this.store.list(this.typeOf({ apiVersion, kind }));
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    this.store.delete(this.typeOf({ apiVersion, kind }), namespace ?? 'default', name);
  }

  // ── HTTP ──

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    // 'close', not 'finish': a watch that is cut off never finishes, and tests look for watches too.
    res.on('close', () => {
      const user = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, contentType: req.headers['content-type'], status: res.statusCode, user });
      if (this.requests.length > 5000) this.requests.splice(0, 2500);
    });
    const body = await readBody(req);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.failing) {
      this.failuresLeft = Math.max(0, this.failuresLeft - 1);
      return send(res, this.failStatus, statusObject(this.failStatus, 'ServiceUnavailable', 'injected failure'));
    }

    const path = url.pathname.replace(/\/+$/, '');
    const discovery = this.discovery(path);
    if (discovery !== undefined) return send(res, 200, discovery);
    if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-fake', platform: 'linux/amd64' });

    const target = parseTarget(path, this.servedTypes());
    if (!target) return send(res, 404, statusObject(404, 'NotFound', `the server could not find the requested resource (${path})`));
    const method = req.method ?? 'GET';
    const params = url.searchParams;

    if (target.name === undefined) {
      const q = { type: target.type, namespace: target.namespace, params };
      if (method === 'GET' && (params.get('watch') === 'true' || params.get('watch') === '1')) {
        watchCollection(this.store, q, res, this.opts, () => this.watches.delete(res));
        if (!res.writableEnded) this.watches.add(res);
        return;
      }
      if (method === 'GET') return send(res, 200, listCollection(this.store, q));
      if (method === 'POST') {
        const obj = parseBody(body, req.headers['content-type']) as unknown as KubeObject;
        if (target.type.namespaced) obj.metadata = { ...obj.metadata, namespace: target.namespace ?? obj.metadata?.namespace ?? 'default' };
        if (params.get('dryRun')) return send(res, 201, obj);
        return send(res, 201, this.store.create(target.type, obj));
      }
      if (method === 'DELETE') {
        const items = (listCollection(this.store, q).items as KubeObject[]).map((o) => this.store.delete(target.type, o.metadata.namespace, o.metadata.name));
        return send(res, 200, { kind: `${target.type.kind}List`, apiVersion: 'v1', metadata: {}, items });
      }
      return send(res, 405, statusObject(405, 'MethodNotAllowed', `${method} is not allowed here`));
    }

    const { type, namespace, name } = target;
    const part = target.status ? 'status' : 'main';
    switch (method) {
      case 'GET':
        return send(res, 200, this.store.mustGet(type, namespace, name));
      case 'PUT': {
        const obj = parseBody(body, req.headers['content-type']) as unknown as KubeObject;
        return send(res, 200, this.store.update(type, namespace, name, obj, part));
      }
      case 'PATCH': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
        const patch = parseBody(body, contentType);
        const current = this.store.get(type, namespace, name);
        if (!current) {
          if (contentType !== 'application/apply-patch+yaml') throw notFoundFor(type, name);
          const created = { ...(patch as Record<string, unknown>), metadata: { ...((patch as { metadata?: object }).metadata ?? {}), name, namespace } };
          return send(res, 201, this.store.create(type, created as KubeObject));
        }
        const patched = applyPatch(current as unknown as Json, patch, contentType) as unknown as KubeObject;
        return send(res, 200, this.store.update(type, namespace, name, patched, part));
      }
      case 'DELETE':
        return send(res, 200, this.store.delete(type, namespace, name));
      default:
        return send(res, 405, statusObject(405, 'MethodNotAllowed', `${method} is not allowed here`));
    }
  }

  private discovery(path: string): Record<string, unknown> | undefined {
    const served = this.servedTypes();
    if (path === '/api') return apiVersions(`127.0.0.1:${this.port}`);
    if (path === '/apis') return apiGroupList(served);
    if (path === '/api/v1') return apiResourceList('', 'v1', served);
    if (path === '/openapi/v3') return openApiIndex(served);
    if (path.startsWith('/openapi/v3/')) return openApiGroupVersion(path.slice('/openapi/v3/'.length), served);
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (!m) return undefined;
    return m[2] === undefined ? apiGroup(m[1], served) : apiResourceList(m[1], m[2], served);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ApiError) return send(res, err.code, err.toStatus());
    if (err instanceof PatchError || err instanceof SelectorError || err instanceof SyntaxError) {
      return send(res, 400, statusObject(400, 'BadRequest', err.message));
    }
    send(res, 500, statusObject(500, 'InternalError', (err as Error).message));
  }
}

function notFoundFor(type: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${type.plural} "${name}" not found`, { name, group: type.group, kind: type.plural });
}

/** `/api/v1/...` or `/apis/G/V/...` → which resource, namespace, object and subresource. */
function parseTarget(path: string, served: readonly ResourceType[]): Target | undefined {
  const m = /^\/api\/(v1)\/(.*)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)\/(.*)$/.exec(path);
  if (!m) return undefined;
  const [group, version] = m[1].includes('/') ? m[1].split('/') : ['', m[1]];
  const seg = m[2].split('/').map(decodeURIComponent);
  let namespace: string | undefined;
  let rest = seg;
  if (seg[0] === 'namespaces' && seg.length >= 3 && !(seg.length === 3 && seg[2] === 'status')) {
    namespace = seg[1];
    rest = seg.slice(2);
  }
  const type = findType(group, version, rest[0], served);
  if (!type || rest.length > 3 || (rest.length === 3 && rest[2] !== 'status')) return undefined;
  if (type.namespaced === false && namespace !== undefined) return undefined;
  return { type, namespace, name: rest[1], status: rest[2] === 'status' };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(body: string, contentType: string | undefined): Json {
  if (body.trim() === '') throw new ApiError(400, 'BadRequest', 'request body is empty');
  if ((contentType ?? '').includes('yaml')) return parseYaml(body) as Json;
  return JSON.parse(body) as Json;
}

function applyPatch(current: Json, patch: Json, contentType: string): Json {
  switch (contentType) {
    case 'application/json-patch+json': return jsonPatch(current, patch);
    case 'application/merge-patch+json': return mergePatch(current, patch);
    case 'application/strategic-merge-patch+json': return mergePatch(current, patch, true);
    case 'application/apply-patch+yaml': return mergePatch(current, patch);
    default: throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
