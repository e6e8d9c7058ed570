import type { Config } from '../config/settings.ts';
import type { PemPair } from '../proxy/tls/certificate-store.ts';
import type { RouteTableInput } from '../routing/route-table.ts';
import type { Backend, Diagnostic, Route } from '../routing/types.ts';
import type { MetricsSnapshot } from '../telemetry/sinks/metrics.ts';

/**
 * Part of a table: backends, or routes whose `backend` is `{ $ref: i }` (the i-th backend of the table)
 * when it is one of the table's backends. A number instead of an object is the item at that index of
 * the base table (see TableMessage.base): it did not change, and the worker keeps its own copy. A large
 * table crosses in many parts so that no single message takes the worker's event loop long to
 * deserialize.
 */
export interface TablePart {
  readonly type: 'table-part';
  readonly seq: number;
  readonly backends?: readonly (number | Backend)[];
  readonly routes?: readonly (number | WireRoute)[];
}

export type WireRoute = Omit<Route, 'backend'> & { readonly backend: Backend | { readonly $ref: number } };

export type UnchangedList = 'ingresses' | 'certificates' | 'diagnostics';

/** A translated route table on its way to a data-plane worker (structured clone over IPC), after its parts. */
export interface TableMessage {
  readonly type: 'table';
  /** Increases with every table the primary sends; acknowledged with `applied`. */
  readonly seq: number;
  /** The table the parts' numbers refer to (the previous one sent), or -1 when every item came whole. */
  readonly base: number;
  /** Lists sent empty because they equal the base table's. */
  readonly unchanged: readonly UnchangedList[];
  /** The table without routes and backends (they came as parts); `defaultRoute` as a WireRoute. */
  readonly input: Omit<RouteTableInput, 'defaultRoute'> & { readonly defaultRoute?: WireRoute };
  readonly fingerprint: string;
  readonly appliedAt: string;
  readonly durationMs: number;
  readonly newDiagnostics: readonly Diagnostic[];
}

/**
 * Primary → worker. `init` comes first: the primary's validated configuration (the worker parses
 * nothing itself) and the ports to share (0 = pick one; only the first worker does).
 */
export type ToWorker =
  /** `certificate`: the pod's start-up certificate for unknown SNI, made once by the primary. */
  | { readonly type: 'init'; readonly id: number; readonly config: Config; readonly httpPort: number; readonly httpsPort: number; readonly certificate: PemPair }
  | TablePart
  | TableMessage
  | { readonly type: 'query'; readonly id: number; readonly what: 'metrics' | 'recent' | 'backends' }
  | { readonly type: 'feed'; readonly on: boolean }
  /** An active probe's verdict: the primary probes for the whole pod. */
  | { readonly type: 'probe'; readonly key: string; readonly unhealthy: boolean }
  | { readonly type: 'shutdown' };

/** An endpoint's health as one worker sees it (/backends merges them). */
export interface WorkerEndpointHealth {
  readonly health: string;
  readonly ejectedUntil: number | undefined;
  readonly consecutiveFailures: number;
  readonly inFlight: number;
}

export type FromWorker =
  | { readonly type: 'listening'; readonly httpPort: number; readonly httpsPort: number }
  /** Start-up failed (a taken port…): the primary prints it once, naming the setting, and exits. */
  | { readonly type: 'failed'; readonly code: string; readonly message: string }
  | { readonly type: 'applied'; readonly seq: number }
  | { readonly type: 'refused'; readonly seq: number; readonly error: string }
  /** A table arrived relative to a base this worker does not have: it asks for the newest table whole. */
  | { readonly type: 'resync'; readonly seq: number }
  | {
    readonly type: 'reply'; readonly id: number; readonly metrics?: readonly MetricsSnapshot[]; readonly recent?: readonly string[];
    readonly backends?: readonly (readonly [string, WorkerEndpointHealth])[];
  }
  | { readonly type: 'feed'; readonly events: readonly string[] };
