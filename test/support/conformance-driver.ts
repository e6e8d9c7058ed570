import type { RouteTable } from '../../src/routing/route-table.ts';
import type { Obj } from './manifests.ts';

/**
 * How the ingress-controller conformance scenarios drive a RAUTA instance. The same scenarios run in
 * standalone mode (objects written to a manifest file) and in Kubernetes mode (objects stored in the
 * fake API server and read by the real informers).
 */
export interface ConformanceDriver {
  /** Port of RAUTA's plain HTTP listener. */
  readonly httpPort: number;
  /** Port of RAUTA's HTTPS listener. */
  readonly httpsPort: number;
  /** The route table RAUTA serves now (its Gateway API status report included). */
  table(): RouteTable;
  /**
   * Makes exactly these objects the state RAUTA reads (replacing what an earlier apply set), and
   * resolves once RAUTA serves a route table built from them.
   */
  apply(objects: readonly Obj[]): Promise<void>;
  stop(): Promise<void>;
}

export type DriverFactory = () => Promise<ConformanceDriver>;
