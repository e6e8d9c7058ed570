// RAUTA admin page: status line, traffic charts, live requests (SSE), routes with a route view, and
// backends with per-endpoint latency. No framework: the page is a few tables rebuilt from JSON; state
// lives in one object per concern.
import { TrafficStats } from './charts.js';
import { TrafficCards } from './plots.js';
import { backendsView, eventFacts, eventRouteKey, h, requestRow, routeDetail, routeKey, routesView, serviceOf, statusClass } from './views.js';

const MAX_EVENTS = 1000;
const MAX_ROWS = 200;
const POLL_MS = 3000;
const MAX_SUGGESTIONS = 100;

const $ = (id) => document.getElementById(id);

const state = {
  /** Newest first. */
  events: [],
  ids: new Set(),
  paused: false,
  pendingWhilePaused: 0,
  summary: undefined,
  stats: new TrafficStats(),
  /** Per route (`ns/ingress|host|path`) and per endpoint (`ip:port`), for the route and backend views. */
  routeStats: new TrafficStats(),
  endpointStats: new TrafficStats(),
  /** The traffic window, 1 or 5 minutes. */
  windowMs: 5 * 60_000,
  routesDoc: undefined,
  backendsDoc: undefined,
  /** The route view's current question (host, path), or undefined. */
  lookup: undefined,
  hosts: new Set(),
  services: new Set(),
  renderQueued: false,
};

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (res.status === 401) showUnauthorized();
  if (!res.ok) {
    const err = new Error(`${path}: HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return res.json();
}

// ── status line ──

function showUnauthorized() {
  $('status').replaceChildren(h('span', { class: 'pill bad', id: 'st-auth' }, 'unauthorized: open this page once as /?token=<RAUTA_ADMIN_TOKEN>'));
}

function renderStatus(s) {
  const el = $('status');
  const nats = !s.nats?.configured ? 'NATS off' : s.nats.connected ? 'NATS connected' : 'NATS disconnected';
  const natsClass = !s.nats?.configured ? 'off' : s.nats.connected ? 'good' : 'bad';
  const tracing = s.tracing?.enabled ? 'tracing on' : 'tracing off';
  const c = s.counts ?? {};
  const errs = c.diagnostics?.errors ?? 0;
  const parts = [
    h('span', { class: 'pill', id: 'st-mode' }, s.mode),
    h('span', { class: `pill ${natsClass}`, id: 'st-nats' }, nats),
    h('span', { class: `pill ${s.tracing?.enabled ? 'good' : 'off'}`, id: 'st-tracing' }, tracing),
    h('span', { class: 'pill', id: 'st-version' }, `v${s.version}`),
    h('span', { class: 'muted' }, `${c.routes ?? 0} route${c.routes === 1 ? '' : 's'} · ${c.ready_endpoints ?? 0}/${c.endpoints ?? 0} endpoints ready`),
  ];
  if (errs) parts.push(h('a', { class: 'pill bad', href: '#routes' }, `${errs} config error${errs === 1 ? '' : 's'}`));
  const rejected = s.config_rejected;
  if (rejected) parts.push(h('a', { class: 'pill bad', id: 'st-rejected', href: '#config-banner' }, 'manifest rejected'));
  el.replaceChildren(...parts);
  // The reason in full, with the fix it names: the routes shown are the last good ones until then.
  const banner = $('config-banner');
  banner.hidden = !rejected;
  if (rejected) {
    banner.replaceChildren(h('strong', {}, 'Configuration not applied — the last good routes keep serving. '), rejected.message,
      h('span', { class: 'muted' }, ` (${rejected.code}, ${new Date(rejected.at).toLocaleTimeString()})`));
  }
}

async function refreshSummary() {
  try {
    state.summary = await getJson('/api/summary');
    renderStatus(state.summary);
  } catch (err) {
    if (err.status === 401) return;
    $('status').replaceChildren(h('span', { class: 'pill bad' }, `admin API unreachable (${err.message})`));
  }
}

// ── live requests ──

function filters() {
  return {
    host: $('f-host').value.trim().toLowerCase(),
    service: $('f-service').value.trim().toLowerCase(),
    status: $('f-status').value,
  };
}

function matches(event, f) {
  const d = event.data ?? {};
  if (f.host && !String(d.host ?? '').toLowerCase().includes(f.host)) return false;
  if (f.service && !String(serviceOf(event) ?? '').toLowerCase().includes(f.service)) return false;
  if (f.status) {
    const cls = statusClass(d.status_code);
    if (f.status === 'err' ? cls !== 's4' && cls !== 's5' : cls !== `s${f.status}`) return false;
  }
  return true;
}

function syncOptions(list, values) {
  if (list.children.length === values.size) return;
  list.replaceChildren(...[...values].sort().map((v) => h('option', { value: v })));
}

function renderRequests() {
  state.renderQueued = false;
  const body = $('req-body');
  const focusedId = document.activeElement?.closest?.('#req-body tr')?.dataset.id;
  const f = filters();
  const rows = [];
  for (const e of state.events) {
    if (rows.length >= MAX_ROWS) break;
    if (matches(e, f)) rows.push(requestRow(e));
  }
  body.replaceChildren(...rows);
  // Roving tabindex: the table is one Tab stop (the focused or first row); arrows move within it.
  const current = (focusedId && body.querySelector(`tr[data-id="${CSS.escape(focusedId)}"]`)) || rows[0];
  if (current) {
    current.tabIndex = 0;
    if (focusedId) current.focus();
  }
  const empty = $('req-empty');
  empty.hidden = rows.length > 0;
  empty.textContent = state.events.length === 0 ? 'Waiting for requests…' : 'No request matches the filters.';
  syncOptions($('hosts'), state.hosts);
  syncOptions($('services'), state.services);
}

function scheduleRender() {
  if (state.paused || state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(renderRequests);
}

/** Adds events (any order); returns how many were new. */
function addEvents(list) {
  let added = 0;
  let needSort = false;
  for (const e of list) {
    if (!e || typeof e !== 'object' || state.ids.has(e.id)) continue;
    state.ids.add(e.id);
    // The stream delivers events in order, so the common case is a cheap insert at the front.
    if (state.events.length === 0 || String(e.timestamp) >= String(state.events[0].timestamp)) state.events.unshift(e);
    else {
      state.events.push(e);
      needSort = true;
    }
    added++;
    const service = serviceOf(e);
    // Suggestions for the filter boxes; bounded, since 404s can carry any Host header at all.
    if (e.data?.host && state.hosts.size < MAX_SUGGESTIONS) state.hosts.add(e.data.host);
    if (service && state.services.size < MAX_SUGGESTIONS) state.services.add(service);
    state.stats.add(service ?? '(no route)', e);
    const route = eventRouteKey(e);
    if (route) state.routeStats.add(route, e);
    const b = e.data?.backend;
    if (b?.pod_ip !== undefined) state.endpointStats.add(`${b.pod_ip}:${b.pod_port}`, e);
  }
  if (added === 0) return 0;
  if (needSort) state.events.sort((a, b) => (String(a.timestamp) < String(b.timestamp) ? 1 : String(a.timestamp) > String(b.timestamp) ? -1 : 0));
  for (const old of state.events.splice(MAX_EVENTS)) state.ids.delete(old.id);
  if (state.paused) {
    state.pendingWhilePaused += added;
    setFeedState();
  }
  scheduleRender();
  return added;
}

function setFeedState(text) {
  const el = $('feed-state');
  if (state.paused) {
    el.textContent = `paused · ${state.pendingWhilePaused} new`;
    el.className = 'feed-state paused';
  } else if (text) {
    el.textContent = text;
    el.className = `feed-state ${text.startsWith('live') ? 'live' : 'down'}`;
  }
}

let pollTimer;
function startPolling() {
  if (pollTimer) return;
  setFeedState('polling /requests (no live stream)');
  pollTimer = setInterval(loadRecent, POLL_MS);
}

async function loadRecent() {
  try {
    const list = await getJson(`/requests?format=json&limit=${MAX_ROWS}`);
    addEvents(Array.isArray(list) ? list : (list.events ?? []));
    return 'ok';
  } catch (err) {
    setFeedState(err.status === 404 ? 'request events not available in this build' : `feed error: ${err.message}`);
    return err.status === 404 ? 'absent' : 'error';
  }
}

function connectStream() {
  const source = new EventSource('/requests/stream');
  source.onopen = () => setFeedState('live');
  const onEvent = (msg) => {
    try {
      addEvents([JSON.parse(msg.data)]);
    } catch {
      // A malformed line must not stop the feed; the next event is independent.
    }
  };
  // Unnamed events are the contract; named ones are accepted too in case the server labels them.
  source.onmessage = onEvent;
  source.addEventListener('request', onEvent);
  source.addEventListener('http.request', onEvent);
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      // The server refused the stream (404 in a build without it, or 401): fall back to polling.
      startPolling();
    } else {
      setFeedState('reconnecting…');
    }
  };
}

function togglePause() {
  state.paused = !state.paused;
  const btn = $('pause');
  btn.textContent = state.paused ? 'Resume' : 'Pause';
  btn.setAttribute('aria-pressed', String(state.paused));
  if (!state.paused) {
    state.pendingWhilePaused = 0;
    setFeedState(pollTimer ? 'polling /requests (no live stream)' : 'live');
    scheduleRender();
  } else {
    setFeedState();
  }
}

// ── event dialog ──

/** The row to return to when the dialog closes; rows are rebuilt meanwhile, so it is kept by event id. */
let openedFromId;
function openEvent(id) {
  const event = state.events.find((e) => e.id === id);
  if (!event) return;
  const dialog = $('event-dialog');
  openedFromId = id;
  const d = event.data ?? {};
  $('event-title').textContent = `${d.method ?? ''} ${d.host ?? ''}${d.path ?? ''} → ${d.status_code ?? '–'}`;
  $('event-facts').replaceChildren(...eventFacts(event, state.summary?.trace_url_template));
  $('event-json').textContent = JSON.stringify(event, null, 2);
  dialog.showModal();
  $('event-close').focus();
}

function wireDialog() {
  const dialog = $('event-dialog');
  $('event-close').addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the dialog box) closes it too.
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    const row = openedFromId && $('req-body').querySelector(`tr[data-id="${CSS.escape(openedFromId)}"]`);
    if (!row) return;
    for (const r of $('req-body').querySelectorAll('tr[tabindex="0"]')) r.tabIndex = -1;
    row.tabIndex = 0;
    row.focus();
  });
}

function wireTable() {
  const body = $('req-body');
  body.addEventListener('click', (e) => {
    const row = e.target.closest('tr');
    if (row) openEvent(row.dataset.id);
  });
  body.addEventListener('keydown', (e) => {
    const row = e.target.closest('tr');
    if (!row) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      openEvent(row.dataset.id);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? row.nextElementSibling : e.key === 'ArrowUp' ? row.previousElementSibling : e.key === 'Home' ? body.firstElementChild : body.lastElementChild;
      if (!next) return;
      row.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  });
}

// ── routes and backends ──

async function refreshRoutes() {
  try {
    const doc = await getJson('/routes');
    state.routesDoc = doc;
    $('routes-body').replaceChildren(...routesView(doc));
    void renderRouteView();
    $('routes-meta').textContent = doc.applied_at ? `applied ${new Date(doc.applied_at).toLocaleTimeString()} · ${String(doc.fingerprint).slice(0, 12)}` : 'no configuration applied yet';
  } catch (err) {
    $('routes-body').replaceChildren(h('p', { class: 'diag error' }, `Could not load /routes: ${err.message}`));
  }
}

async function refreshBackends() {
  try {
    const doc = await getJson('/backends');
    state.backendsDoc = doc;
    renderBackends();
    const n = (doc.backends ?? []).length;
    $('backends-meta').textContent = `${n} service${n === 1 ? '' : 's'}`;
  } catch (err) {
    const msg = err.status === 404 ? 'The /backends API is not available in this build.' : `Could not load /backends: ${err.message}`;
    $('backends-body').replaceChildren(h('p', { class: 'muted' }, msg));
    // A build without the API will not grow one: stop asking (and logging 404s) every 2 s.
    if (err.status === 404) clearInterval(backendsTimer);
  }
}
let backendsTimer;

const windowLabel = () => (state.windowMs >= 5 * 60_000 ? '5 min' : '1 min');

function renderBackends() {
  if (!state.backendsDoc) return;
  state.endpointStats.prune();
  $('backends-body').replaceChildren(...backendsView(state.backendsDoc, (key) => state.endpointStats.recent(key, state.windowMs), windowLabel()));
}

/** Asks the server which route serves the lookup's host and path, and shows it with its live numbers. */
async function renderRouteView() {
  const q = state.lookup;
  const view = $('route-view');
  if (!q) {
    view.hidden = true;
    return;
  }
  try {
    const params = new URLSearchParams({ host: q.host, path: q.path });
    const lookup = await getJson(`/api/route?${params}`);
    const key = lookup.route ? routeKey(lookup.route) : undefined;
    state.routeStats.prune();
    const w = key ? state.routeStats.recent(key, state.windowMs) : undefined;
    view.replaceChildren(h('h3', {}, `${q.host || '(any host)'}${q.path}`), ...routeDetail(lookup, state.routesDoc?.diagnostics ?? [], w, windowLabel()));
  } catch (err) {
    view.replaceChildren(h('p', { class: 'diag error' }, err.status === 400 ? 'That is not a host and path RAUTA can look up.' : `Could not look the route up: ${err.message}`));
  }
  view.hidden = false;
}

function showRoute(host, path) {
  state.lookup = { host, path };
  $('rl-host').value = host;
  $('rl-path').value = path;
  void renderRouteView();
}

function setWindow(ms) {
  state.windowMs = ms;
  for (const b of document.querySelectorAll('.window button')) b.setAttribute('aria-pressed', String(Number(b.dataset.window) === ms));
  cards.render(state.stats, state.windowMs);
  renderBackends();
  void renderRouteView();
}

let cards;

// ── start ──

function main() {
  for (const id of ['f-host', 'f-service', 'f-status']) $(id).addEventListener('input', () => renderRequests());
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('pause').addEventListener('click', togglePause);
  $('clear').addEventListener('click', () => {
    state.events = [];
    state.ids.clear();
    renderRequests();
  });
  wireTable();
  wireDialog();

  // Each refresh shows its own failure in the page; none of them rejects.
  void refreshSummary();
  void refreshRoutes();
  void refreshBackends();
  cards = new TrafficCards($('charts'));
  for (const b of document.querySelectorAll('.window button')) b.addEventListener('click', () => setWindow(Number(b.dataset.window)));
  $('route-lookup').addEventListener('submit', (e) => {
    e.preventDefault();
    const path = $('rl-path').value.trim() || '/';
    showRoute($('rl-host').value.trim(), path.startsWith('/') ? path : `/${path}`);
  });
  // A click on a route's path in the list opens its route view.
  $('routes-body').addEventListener('click', (e) => {
    const btn = e.target.closest?.('button[data-route]');
    if (!btn) return;
    const [, host, path] = btn.dataset.route.split('|');
    showRoute(host === '*' ? '' : host, path);
    $('route-view').scrollIntoView({ block: 'nearest' });
  });
  void loadRecent().then((result) => {
    cards.render(state.stats, state.windowMs);
    if (result !== 'absent') connectStream();
  });
  setInterval(refreshSummary, POLL_MS);
  setInterval(refreshRoutes, POLL_MS);
  backendsTimer = setInterval(refreshBackends, 2000);
  setInterval(() => {
    cards.render(state.stats, state.windowMs);
    renderBackends();
  }, 1000);
  setInterval(() => void renderRouteView(), POLL_MS);
}

main();
