// Pure DOM builders for the admin page. Everything goes through textContent: event data comes from
// the network (hosts, paths, user agents) and must never become markup.

/**
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return el;
}

export function statusClass(status) {
  if (typeof status !== 'number' || status < 100) return 's0';
  return `s${Math.floor(status / 100)}`;
}

export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatTime(ts) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return String(ts ?? '');
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `namespace/service` of the backend that served the event, or undefined (404s have none). */
export function serviceOf(event) {
  const b = event?.data?.backend;
  if (!b?.service) return undefined;
  const ns = event.context?.namespace;
  return b.service.includes('/') || !ns ? b.service : `${ns}/${b.service}`;
}

export function requestRow(event) {
  const d = event.data ?? {};
  const status = d.status_code;
  const statusText = typeof status === 'number' && status > 0 ? String(status) : (event.error?.code ?? '–');
  return h('tr', { tabindex: -1, 'data-id': event.id, class: event.severity === 'error' ? 'sev-error' : undefined },
    h('td', { class: 'c-time mono' }, formatTime(event.timestamp)),
    h('td', { class: 'c-method' }, d.method ?? ''),
    h('td', { class: 'c-host ellip', title: d.host ?? '' }, d.host ?? ''),
    h('td', { class: 'c-path ellip mono', title: d.path ?? '' }, d.path ?? ''),
    h('td', { class: 'c-status' }, h('span', { class: `badge ${statusClass(status)}` }, statusText),
      d.attempts > 1 ? h('span', { class: 'attempts', title: `${d.attempts} attempts (retried)` }, ` ×${d.attempts}`) : null),
    h('td', { class: 'c-dur num mono' }, formatDuration(d.duration_ms)),
    h('td', { class: 'c-pod ellip', title: d.backend?.pod ?? '' }, d.backend?.pod ?? '–'),
  );
}

/** The facts above the JSON in the event dialog, with the trace link when a template is configured. */
export function eventFacts(event, traceUrlTemplate) {
  const d = event.data ?? {};
  const traceId = event.context?.trace_id;
  const facts = [
    ['Request', `${d.method ?? ''} ${d.scheme ? `${d.scheme}://` : ''}${d.host ?? ''}${d.path ?? ''}`],
    ['Status', `${d.status_code ?? '–'} (${event.outcome ?? 'unknown'})${event.error ? ` ${event.error.code}: ${event.error.message}` : ''}`],
    ['Served by', d.backend ? `${serviceOf(event) ?? ''} → ${d.backend.pod ?? '?'} (${d.backend.pod_ip ?? ''}:${d.backend.pod_port ?? ''})` : 'no backend'],
    ['Duration', `${formatDuration(d.duration_ms)} total, ${formatDuration(d.upstream_duration_ms)} upstream, ${d.attempts ?? '?'} attempt(s)`],
  ];
  const nodes = [];
  for (const [k, v] of facts) nodes.push(h('dt', {}, k), h('dd', {}, v));
  const traceDd = h('dd', { id: 'event-trace' });
  if (traceId) {
    traceDd.append(h('code', { id: 'event-trace-id' }, traceId));
    const url = traceUrlTemplate ? traceUrlTemplate.replaceAll('{trace_id}', encodeURIComponent(traceId)) : undefined;
    if (url && /^https?:\/\//.test(url)) {
      traceDd.append(' ', h('a', { id: 'event-trace-link', href: url, target: '_blank', rel: 'noopener noreferrer' }, 'open trace ↗'));
    }
  } else {
    traceDd.append('none');
  }
  nodes.push(h('dt', {}, 'Trace'), traceDd);
  return nodes;
}

function policyText(p) {
  if (!p) return '';
  if (typeof p === 'string') return p;
  const parts = [p.load_balance ?? p.loadBalance ?? 'round-robin'];
  const hashBy = p.hash_by ?? p.hashBy;
  if (hashBy) parts.push(`hash by ${typeof hashBy === 'string' ? hashBy : [hashBy.kind, hashBy.name].filter(Boolean).join(':')}`);
  if (p.retries) parts.push(`${p.retries} retries`);
  const protocol = p.backend_protocol ?? p.protocol;
  if (protocol && protocol !== 'http1') parts.push(protocol);
  return parts.join(', ');
}

/** `ns/name` for Ingresses; `HTTPRoute ns/name` (or GRPCRoute, Gateway…) for Gateway API objects. */
const owner = (kind, name) => (kind && kind !== 'Ingress' ? `${kind} ${name}` : name);

/** Ingress (or Gateway API object) name → { errors, warnings, routes } from a /routes document. */
function ingressStates(doc) {
  const states = new Map();
  const get = (name) => {
    if (!states.has(name)) states.set(name, { name, routes: 0, diagnostics: [] });
    return states.get(name);
  };
  for (const name of doc.ingresses ?? []) get(name);
  for (const r of doc.routes ?? []) get(owner(r.kind, r.ingress)).routes++;
  if (doc.default_backend) get(doc.default_backend.ingress).routes++;
  for (const d of doc.diagnostics ?? []) get(d.ingress ? owner(d.kind, d.ingress) : '(objects)').diagnostics.push(d);
  return [...states.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function routesView(doc) {
  const out = [];
  const byHost = new Map();
  for (const r of doc.routes ?? []) {
    if (!byHost.has(r.host)) byHost.set(r.host, []);
    byHost.get(r.host).push(r);
  }
  if (byHost.size === 0 && !doc.default_backend) out.push(h('p', { class: 'muted' }, 'No routes: no Ingress is served yet.'));
  const hosts = [...byHost.keys()].sort((a, b) => (a === '*') - (b === '*') || a.localeCompare(b));
  const list = h('ul', { class: 'hosts' });
  for (const host of hosts) {
    const routes = byHost.get(host);
    const paths = h('ul', { class: 'paths' });
    for (const r of routes) paths.append(routeItem(r));
    list.append(h('li', { class: 'host' },
      h('div', { class: 'host-name' }, h('strong', {}, host), routes.some((r) => r.tls) ? h('span', { class: 'tag' }, 'TLS') : null),
      paths));
  }
  if (doc.default_backend) {
    list.append(h('li', { class: 'host' }, h('div', { class: 'host-name' }, h('strong', {}, 'default backend')), h('ul', { class: 'paths' }, routeItem(doc.default_backend))));
  }
  out.push(list);

  const ingresses = ingressStates(doc);
  const table = h('table', { class: 'ingresses stack-sm' },
    h('caption', { class: 'sr-only' }, 'Ingresses and their diagnostics'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Ingress'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Diagnostics'))));
  const body = h('tbody');
  for (const ing of ingresses) {
    const errors = ing.diagnostics.filter((d) => d.severity === 'error');
    const state = errors.length === 0 ? (ing.diagnostics.length ? 'served with warnings' : 'served') : ing.routes === 0 ? 'rejected' : 'partly rejected';
    const cls = errors.length === 0 ? (ing.diagnostics.length ? 'ing-warn' : 'ing-ok') : 'ing-rejected';
    const diags = h('ul', { class: 'diags' });
    for (const d of ing.diagnostics) {
      diags.append(h('li', { class: `diag ${d.severity}` },
        h('span', { class: 'reason' }, d.reason), ' ', d.message, d.field ? h('span', { class: 'muted' }, ` (${d.field})`) : null));
    }
    body.append(h('tr', { class: cls, 'data-ingress': ing.name },
      h('td', { class: 'mono strong-sm' }, ing.name),
      h('td', {}, h('span', { class: `state ${cls}` }, state), h('span', { class: 'muted' }, ` ${ing.routes} route${ing.routes === 1 ? '' : 's'}`)),
      h('td', {}, ing.diagnostics.length ? diags : h('span', { class: 'muted' }, 'none'))));
  }
  table.append(body);
  out.push(h('h3', {}, 'Ingresses'), ingresses.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'muted' }, 'No Ingress for this controller.'));
  return out;
}

/** Gateway API matches beyond the path: listener, method, headers, query, and the backend's weight. */
function matchText(r) {
  const m = r.match ?? {};
  const parts = [];
  if (m.listener) parts.push(m.listener);
  if (m.method) parts.push(m.method);
  for (const x of m.headers ?? []) parts.push(`header ${x}`);
  for (const x of m.query ?? []) parts.push(`query ${x}`);
  if (r.weight !== undefined) parts.push(`weight ${r.weight}`);
  return parts.length ? `[${parts.join(', ')}]` : '';
}

function routeItem(r) {
  const b = r.backend ?? {};
  const ready = `${b.ready_endpoints ?? 0}/${b.endpoints ?? 0} ready`;
  return h('li', { class: 'path' },
    h('button', { type: 'button', class: 'linkish mono', 'data-route': routeKey(r), title: 'Show this route' }, r.path), h('span', { class: 'muted' }, ` ${r.path_type}`), ' → ',
    h('span', { class: 'mono svc' }, `${b.service}:${b.port}`), ' ',
    h('span', { class: `tag ${b.unavailable ? 'bad' : b.ready_endpoints > 0 ? 'good' : 'warn'}` }, b.unavailable ? 'unavailable' : ready),
    matchText(r) ? h('span', { class: 'mono muted' }, ` ${matchText(r)}`) : null,
    h('span', { class: 'muted' }, ` ${owner(r.kind, r.ingress)}${r.rule !== undefined ? ` rule ${r.rule}` : ''} · ${policyText(r.policy)}`),
    b.unavailable ? h('div', { class: 'diag error' }, b.unavailable) : null);
}

function healthTag(e) {
  if (e.terminating) return h('span', { class: 'tag warn' }, 'terminating');
  if (!e.ready) return h('span', { class: 'tag warn' }, 'not ready');
  if (e.health === 'ejected') return h('span', { class: 'tag bad' }, 'ejected');
  if (e.health === 'unhealthy') return h('span', { class: 'tag bad' }, 'unhealthy');
  return h('span', { class: 'tag good' }, e.health ?? 'ready');
}

/** Latency and errors of one key (endpoint, route) over the chosen window, from the live feed. */
function windowCells(w) {
  if (!w || w.count === 0) return [h('td', { class: 'num muted', 'data-label': 'requests' }, '0'), h('td', { class: 'num muted', 'data-label': 'p50 / p99' }, '–'), h('td', { class: 'num muted', 'data-label': '5xx' }, '–')];
  return [
    h('td', { class: 'num', 'data-label': 'requests' }, String(w.count)),
    h('td', { class: 'num mono', 'data-label': 'p50 / p99' }, `${formatDuration(w.p50)} / ${formatDuration(w.p99)}`),
    h('td', { class: `num${w.errorRatio > 0 ? ' bad-text' : ''}`, 'data-label': '5xx' }, `${(w.errorRatio * 100).toFixed(1)} %`),
  ];
}

/**
 * @param {object} doc /backends
 * @param {(key: string) => ({count: number, errorRatio: number, p50?: number, p99?: number} | undefined)} [endpointWindow]
 *   per-endpoint (`ip:port`) numbers over the chosen window, from the live feed
 */
export function backendsView(doc, endpointWindow = () => undefined, windowLabel = '5 min') {
  const backends = doc.backends ?? [];
  if (backends.length === 0) return [h('p', { class: 'muted' }, 'No backends.')];
  return backends.map((b) => {
    const eps = b.endpoints ?? [];
    const table = h('table', { class: 'endpoints stack-sm' },
      h('caption', { class: 'sr-only' }, `Endpoints of ${b.id}`),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Pod'), h('th', { scope: 'col' }, 'Address'), h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col', class: 'num' }, 'In flight'), h('th', { scope: 'col', class: 'num' }, 'Failures'),
        h('th', { scope: 'col', class: 'num' }, `Requests (${windowLabel})`), h('th', { scope: 'col', class: 'num' }, 'p50 / p99'), h('th', { scope: 'col', class: 'num' }, '5xx'),
        h('th', { scope: 'col', class: 'c-zone' }, 'Node / zone'))));
    const body = h('tbody');
    for (const e of eps) {
      const until = e.health === 'ejected' && e.ejected_until ? h('span', { class: 'muted' }, ` until ${formatTime(e.ejected_until)}`) : null;
      body.append(h('tr', { 'data-endpoint': e.key, 'data-health': e.health ?? '' },
        h('td', { class: 'strong-sm' }, e.pod ?? '–'),
        h('td', { class: 'mono' }, `${e.ip}:${e.port}`),
        h('td', {}, healthTag(e), until),
        h('td', { class: 'num', 'data-label': 'in flight' }, e.in_flight ?? 0),
        h('td', { class: 'num', 'data-label': 'failures' }, e.consecutive_failures ?? 0),
        ...windowCells(endpointWindow(`${e.ip}:${e.port}`)),
        h('td', { class: 'c-zone muted' }, [e.node, e.zone].filter(Boolean).join(' / ') || '–')));
    }
    table.append(body);
    const ejected = eps.filter((e) => e.health === 'ejected').length;
    const unhealthy = eps.filter((e) => e.health === 'unhealthy').length;
    const ready = eps.filter((e) => e.ready && !e.terminating && (e.health ?? 'healthy') === 'healthy').length;
    return h('article', { class: 'backend', 'data-backend': b.id },
      h('header', {},
        h('h3', {}, b.id),
        h('span', { class: `tag ${ready > 0 ? 'good' : 'bad'}` }, `${ready}/${eps.length} healthy`),
        ejected ? h('span', { class: 'tag bad' }, `${ejected} ejected`) : null,
        unhealthy ? h('span', { class: 'tag bad' }, `${unhealthy} unhealthy`) : null,
        h('span', { class: 'muted' }, ` ${policyText(b.policy)}`)),
      eps.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'muted' }, 'No endpoints.'));
  });
}

/** How the live feed names the route that served a request, and how /routes names a route: the same key. */
export function routeKey(r) {
  return `${r.ingress}|${r.host}|${r.path}`;
}

/** The key of the route an event went through (`namespace/ingress|host|path`), or undefined. */
export function eventRouteKey(event) {
  const r = event?.data?.route;
  if (!r?.ingress) return undefined;
  const ns = event.context?.namespace;
  const ingress = r.ingress.includes('/') || !ns ? r.ingress : `${ns}/${r.ingress}`;
  return `${ingress}|${r.host || '*'}|${r.path}`;
}

/**
 * The route view: for one route (found by `/api/route` for a host and path, or picked from the list),
 * which Ingress or Gateway API route serves it, how, with what policy, and how it is doing right now.
 */
export function routeDetail(lookup, diagnostics, w, windowLabel) {
  const r = lookup.route;
  if (!r) {
    return [h('p', { class: 'diag error', id: 'route-none' }, `No route serves ${lookup.host || '(no host)'}${lookup.path}: RAUTA answers 404 (RAUTA_ERR_NO_ROUTE).`)];
  }
  const b = r.backend ?? {};
  const p = r.policy ?? {};
  const traffic = p.traffic ? Object.entries(p.traffic).filter(([, v]) => Array.isArray(v) ? v.length : v).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((o) => o.op ?? JSON.stringify(o)).join(', ') : JSON.stringify(v)}`) : [];
  const facts = [
    ['Served by', `${r.kind && r.kind !== 'Ingress' ? r.kind : 'Ingress'} ${r.ingress}${r.rule !== undefined ? ` (rule ${r.rule})` : ''}${lookup.default_backend ? ' — default backend' : ''}`],
    ['Match', `${r.host} ${r.path} (${r.path_type})${matchText(r) ? ` ${matchText(r)}` : ''}${r.tls ? ' · TLS' : ''}`],
    ['Backend', `${b.service}:${b.port} · ${b.ready_endpoints ?? 0}/${b.endpoints ?? 0} endpoints ready${b.unavailable ? ` · unavailable: ${b.unavailable}` : ''}`],
    ['Policy', `${policyText(p)}${traffic.length ? ` · ${traffic.join(' · ')}` : ''}`],
    [`Last ${windowLabel}`, w && w.count > 0 ? `${w.count} requests · ${(w.errorRatio * 100).toFixed(1)} % 5xx (${w.errors}) · p50 ${formatDuration(w.p50)} · p99 ${formatDuration(w.p99)}` : 'no requests seen'],
  ];
  const dl = h('dl', { class: 'facts', id: 'route-facts' });
  for (const [k, v] of facts) dl.append(h('dt', {}, k), h('dd', { 'data-fact': k }, v));
  const out = [dl];
  const mine = diagnostics.filter((d) => d.ingress === r.ingress);
  if (mine.length) {
    out.push(h('ul', { class: 'diags' }, ...mine.map((d) => h('li', { class: `diag ${d.severity}` }, h('span', { class: 'reason' }, d.reason), ' ', d.message))));
  }
  return out;
}
