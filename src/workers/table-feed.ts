import type { TableChange } from '../routing/route-state.ts';
import { RouteTable, type RouteTableInput } from '../routing/route-table.ts';
import type { Backend, Route } from '../routing/types.ts';
import type { TableMessage, TablePart, UnchangedList, WireRoute } from './protocol.ts';

/** Parts of this size deserialize in a few milliseconds each. */
const PART_BACKENDS = 500;
const PART_ROUTES = 1000;

/** Where a data-plane worker's route tables come from (instead of a source and translation). */
export interface TableFeed {
  /** Applies every table as it arrives; resolves once the first one is live. */
  start(apply: (change: TableChange) => void): Promise<void>;
}

/** The plain data a RouteTable was built from: what crosses to the workers. */
export function tableInput(t: RouteTable): RouteTableInput {
  return {
    routes: t.routes, defaultRoute: t.defaultRoute, backends: t.backends, diagnostics: t.diagnostics, certificates: t.certificates,
    defaultCertificate: t.defaultCertificate, ingresses: t.ingresses, gatewayStatus: t.gatewayStatus,
  };
}

export type TableMeta = { fingerprint: string; appliedAt: string; durationMs: number; newDiagnostics: TableChange['newDiagnostics'] };

/**
 * The primary's side: the messages that carry one table, its backends and routes in parts, then the
 * rest. After the first table, an item that is the same object as in the previous table sent goes as
 * its index there: translation hands back unchanged backends and routes as the same objects, so an
 * EndpointSlice change among 10,000 Services sends one backend and a list of numbers.
 */
export class TableSender {
  private last: Base | undefined;

  /** Messages for every worker: relative to the previous table sent (unless `whole`). */
  messages(seq: number, table: RouteTable, meta: TableMeta): (TablePart | TableMessage)[] {
    const base = this.last;
    this.last = {
      seq,
      table,
      backends: new Map(table.backends.map((b, i) => [b, i])),
      routes: new Map(table.routes.map((r, i) => [r, i])),
    };
    return tableMessages(seq, table, meta, base);
  }
}

/** The messages of one table; with `base`, items found in it go as their index there. */
interface Base {
  readonly seq: number;
  readonly table: RouteTable;
  readonly backends: Map<Backend, number>;
  readonly routes: Map<Route, number>;
}

/** Lists of the table that equal the base's and need not cross again. */
function unchangedLists(table: RouteTable, base: RouteTable): UnchangedList[] {
  const out: UnchangedList[] = [];
  if (sameList(table.ingresses, base.ingresses, (a, b) => a === b)) out.push('ingresses');
  if (sameList(table.certificates, base.certificates, (a, b) => a === b || (a.id === b.id && a.cert === b.cert && a.key === b.key && sameList(a.hosts, b.hosts, (x, y) => x === y)))) out.push('certificates');
  if (table.diagnostics === base.diagnostics || JSON.stringify(table.diagnostics) === JSON.stringify(base.diagnostics)) out.push('diagnostics');
  return out;
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
  return true;
}

export function tableMessages(seq: number, table: RouteTable, meta: TableMeta, base?: Base): (TablePart | TableMessage)[] {
  const index = new Map<Backend, number>(table.backends.map((b, i) => [b, i]));
  const wire = (r: Route): WireRoute => {
    const i = index.get(r.backend);
    return i === undefined ? r : { ...r, backend: { $ref: i } };
  };
  const backends = base === undefined ? table.backends : table.backends.map((b) => base.backends.get(b) ?? b);
  const routes = table.routes.map((r) => base?.routes.get(r) ?? wire(r));
  const out: (TablePart | TableMessage)[] = [];
  // Numbers cost next to nothing to copy: only parts with objects need to stay small.
  for (const [from, to] of partsOf(backends, PART_BACKENDS)) out.push({ type: 'table-part', seq, backends: backends.slice(from, to) });
  for (const [from, to] of partsOf(routes, PART_ROUTES)) out.push({ type: 'table-part', seq, routes: routes.slice(from, to) });
  const { routes: _r, backends: _b, defaultRoute, ...rest } = tableInput(table);
  const unchanged = base === undefined ? [] : unchangedLists(table, base.table);
  for (const list of unchanged) rest[list] = [];
  out.push({
    type: 'table', seq, base: base?.seq ?? -1, unchanged, input: { ...rest, routes: [], backends: [], defaultRoute: defaultRoute === undefined ? undefined : wire(defaultRoute) },
    fingerprint: meta.fingerprint, appliedAt: meta.appliedAt, durationMs: meta.durationMs, newDiagnostics: meta.newDiagnostics,
  });
  return out;
}

/** Splits a list into runs that hold at most `objects` objects each (numbers are free). */
function partsOf(items: readonly unknown[], objects: number): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  let count = 0;
  for (let i = 0; i < items.length; i++) {
    if (typeof items[i] === 'number') continue;
    if (++count > objects) {
      out.push([from, i]);
      from = i;
      count = 1;
    }
  }
  if (from < items.length) out.push([from, items.length]);
  return out;
}

/**
 * The worker's side: collects a table's parts, then builds it (indexes are built here, not sent). It
 * keeps the last table it built as the base of the next one: numbers become its items, and hosts
 * whose routes are all the same objects keep their indexes.
 */
export class TableAssembler {
  private seq = -1;
  private backends: (number | Backend)[] = [];
  private routes: (number | WireRoute)[] = [];
  private base: { readonly seq: number; readonly table: RouteTable } | undefined;

  part(m: TablePart): void {
    if (m.seq !== this.seq) {
      // A newer table started: whatever was collected of an older one is dropped.
      this.seq = m.seq;
      this.backends = [];
      this.routes = [];
    }
    if (m.backends !== undefined) for (const b of m.backends) this.backends.push(b);
    if (m.routes !== undefined) for (const r of m.routes) this.routes.push(r);
  }

  /**
   * The table of `m` with its parts, as a change for the two-phase swap; undefined when `m` is relative
   * to a table this worker does not have (it then asks for the newest table whole).
   */
  change(m: TableMessage): TableChange | undefined {
    const wireBackends = m.seq === this.seq ? this.backends : [];
    const wireRoutes = m.seq === this.seq ? this.routes : [];
    this.seq = -1;
    this.backends = [];
    this.routes = [];
    const base = m.base === -1 ? undefined : this.base?.seq === m.base ? this.base.table : null;
    if (base === null) return undefined;
    const backends = wireBackends.map((b) => (typeof b === 'number' ? base?.backends[b] : b) as Backend);
    const link = (r: WireRoute): Route => ('$ref' in r.backend ? { ...r, backend: backends[r.backend.$ref] } : r) as Route;
    // Routes in the places they had in the base, some replaced: the base's indexes can be patched.
    let inPlace = base !== undefined && wireRoutes.length === base.routes.length;
    const replaced = new Map<Route, Route>();
    const routes = wireRoutes.map((r, i) => {
      if (typeof r === 'number') {
        if (r !== i) inPlace = false;
        return base?.routes[r] as Route;
      }
      const route = link(r);
      if (inPlace && base !== undefined) replaced.set(base.routes[i], route);
      return route;
    });
    if (backends.includes(undefined as unknown as Backend) || routes.includes(undefined as unknown as Route)) return undefined;
    const input: RouteTableInput = { ...m.input, backends, routes, defaultRoute: m.input.defaultRoute === undefined ? undefined : link(m.input.defaultRoute) };
    for (const list of m.unchanged) {
      if (base === undefined) return undefined;
      (input as { [K in UnchangedList]: RouteTableInput[K] })[list] = base[list] as never;
    }
    const table = (inPlace && base !== undefined ? RouteTable.patched(base, input, replaced) : undefined) ?? new RouteTable(input, Math.random, base);
    this.base = { seq: m.seq, table };
    return { table, fingerprint: m.fingerprint, appliedAt: m.appliedAt, durationMs: m.durationMs, newDiagnostics: m.newDiagnostics };
  }
}
