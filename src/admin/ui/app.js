// RAUTA admin page: status line, live requests (SSE), traffic charts, routes and backends.
// No framework: the page is a few tables rebuilt from JSON; state lives in one object per concern.
import { renderCharts, TrafficStats } from './charts.js';
import { backendsView, eventFacts, h, requestRow, routesView, serviceOf, statusClass } from './views.js';

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
  el.replaceChildren(...parts);
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
    $('routes-body').replaceChildren(...routesView(doc));
    $('routes-meta').textContent = doc.applied_at ? `applied ${new Date(doc.applied_at).toLocaleTimeString()} · ${String(doc.fingerprint).slice(0, 12)}` : 'no configuration applied yet';
  } catch (err) {
    $('routes-body').replaceChildren(h('p', { class: 'diag error' }, `Could not load /routes: ${err.message}`));
  }
}

async function refreshBackends() {
  try {
    const doc = await getJson('/backends');
    $('backends-body').replaceChildren(...backendsView(doc));
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
  void loadRecent().then((result) => {
    renderCharts($('charts'), state.stats);
    if (result !== 'absent') connectStream();
  });
  setInterval(refreshSummary, POLL_MS);
  setInterval(refreshRoutes, POLL_MS);
  backendsTimer = setInterval(refreshBackends, 2000);
  setInterval(() => renderCharts($('charts'), state.stats), 1000);
}

main();
