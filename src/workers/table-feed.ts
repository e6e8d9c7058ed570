import type { TableChange } from '../routing/route-state.ts';
import { RouteTable, type RouteTableInput } from '../routing/route-table.ts';
import type { TableMessage } from './protocol.ts';

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

export function tableMessage(seq: number, table: RouteTable, meta: { fingerprint: string; appliedAt: string; durationMs: number; newDiagnostics: TableChange['newDiagnostics'] }): TableMessage {
  return { type: 'table', seq, input: tableInput(table), fingerprint: meta.fingerprint, appliedAt: meta.appliedAt, durationMs: meta.durationMs, newDiagnostics: meta.newDiagnostics };
}

/** The worker's side: indexes are built here (they are not sent), then the table goes through the usual two-phase swap. */
export function changeOf(m: TableMessage): TableChange {
  return { table: new RouteTable(m.input), fingerprint: m.fingerprint, appliedAt: m.appliedAt, durationMs: m.durationMs, newDiagnostics: m.newDiagnostics };
}
