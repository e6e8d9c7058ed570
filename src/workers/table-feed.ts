import type { TableChange } from '../routing/route-state.ts';
import { RouteTable, type RouteTableInput } from '../routing/route-table.ts';
import type { Backend, Route } from '../routing/types.ts';
import type { TableMessage, TablePart, WireRoute } from './protocol.ts';

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

/** The messages that carry one table: its backends and routes in parts, then the rest. */
export function tableMessages(seq: number, table: RouteTable, meta: { fingerprint: string; appliedAt: string; durationMs: number; newDiagnostics: TableChange['newDiagnostics'] }): (TablePart | TableMessage)[] {
  const index = new Map<Backend, number>(table.backends.map((b, i) => [b, i]));
  const wire = (r: Route): WireRoute => {
    const i = index.get(r.backend);
    return i === undefined ? r : { ...r, backend: { $ref: i } };
  };
  const out: (TablePart | TableMessage)[] = [];
  for (let i = 0; i < table.backends.length; i += PART_BACKENDS) out.push({ type: 'table-part', seq, backends: table.backends.slice(i, i + PART_BACKENDS) });
  for (let i = 0; i < table.routes.length; i += PART_ROUTES) out.push({ type: 'table-part', seq, routes: table.routes.slice(i, i + PART_ROUTES).map(wire) });
  const { routes: _r, backends: _b, defaultRoute, ...rest } = tableInput(table);
  out.push({
    type: 'table', seq, input: { ...rest, routes: [], backends: [], defaultRoute: defaultRoute === undefined ? undefined : wire(defaultRoute) },
    fingerprint: meta.fingerprint, appliedAt: meta.appliedAt, durationMs: meta.durationMs, newDiagnostics: meta.newDiagnostics,
  });
  return out;
}

/** The worker's side: collects a table's parts, then builds it (indexes are built here, not sent). */
export class TableAssembler {
  private seq = -1;
  private backends: Backend[] = [];
  private routes: WireRoute[] = [];

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

  /** The table of `m` with its parts, as a change for the two-phase swap. */
  change(m: TableMessage): TableChange {
    const backends = m.seq === this.seq ? this.backends : [];
    const routes = m.seq === this.seq ? this.routes : [];
    this.seq = -1;
    this.backends = [];
    this.routes = [];
    const link = (r: WireRoute): Route => ('$ref' in r.backend ? { ...r, backend: backends[r.backend.$ref] } : r) as Route;
    const input: RouteTableInput = { ...m.input, backends, routes: routes.map(link), defaultRoute: m.input.defaultRoute === undefined ? undefined : link(m.input.defaultRoute) };
    return { table: new RouteTable(input), fingerprint: m.fingerprint, appliedAt: m.appliedAt, durationMs: m.durationMs, newDiagnostics: m.newDiagnostics };
  }
}
