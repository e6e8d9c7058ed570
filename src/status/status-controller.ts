import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.ts';
import type { SwapParticipant } from '../routing/route-state.ts';
import type { Diagnostic } from '../routing/types.ts';
import type { ObjectSet } from '../sources/object-set.ts';
import { type AddressSource, addressSource, resolveAddresses } from './addresses.ts';
import type { GatewayStatusReport } from '../routing/gateway-status.ts';
import { EventRecorder } from './events.ts';
import { GatewayStatusWriter, gatewayStatusChanges } from './gateway-status.ts';
import { IngressStatusWriter, statusChanges } from './ingress-status.ts';
import { LeaderElector } from './leader-election.ts';

/**
 * Everything RAUTA writes back to the cluster, done by the elected leader only: Ingress status, Gateway
 * API status (GatewayClasses, Gateways, routes) and Events for rejected Ingresses. Every replica routes; only this part depends on leadership. Work is driven by
 * route-table swaps (a new table, new diagnostics) and by snapshots that did not change the table
 * (an Ingress's status was overwritten, the publish Service got an address), and always uses the latest
 * snapshot: one sync runs at a time and a request made meanwhile runs once more afterwards.
 */
export class StatusController {
  /** Joins every route-table swap; `observe` is called for every snapshot, changed or not. */
  readonly participant: SwapParticipant;
  readonly identity: string;
  private readonly elector: LeaderElector;
  private readonly writer: IngressStatusWriter;
  private readonly gatewayWriter: GatewayStatusWriter;
  private gatewayReport: GatewayStatusReport | undefined;
  private readonly events: EventRecorder;
  private readonly addresses: AddressSource | undefined;
  private readonly updateStatus: boolean;
  private readonly logger: Logger;
  private objects: ObjectSet | undefined;
  private served: ReadonlySet<string> = new Set();
  private diagnostics: readonly Diagnostic[] = [];
  private running: Promise<void> | undefined;
  private again = false;

  constructor(kc: KubeConfig, config: Config, logger: Logger) {
    this.logger = logger.child({ component: 'status' });
    this.identity = config.podName ?? `${hostname()}_${process.pid}`;
    this.addresses = addressSource(config.publishStatusAddress, config.publishService);
    this.updateStatus = config.updateStatus;
    this.writer = new IngressStatusWriter(kc, logger);
    this.gatewayWriter = new GatewayStatusWriter(kc, logger);
    this.events = new EventRecorder(kc, config.controllerName, this.identity, logger);
    this.elector = new LeaderElector({
      kubeConfig: kc,
      namespace: config.podNamespace,
      name: config.electionId,
      identity: this.identity,
      leaseDurationMs: config.leaseDurationSeconds * 1000,
      renewDeadlineMs: config.leaseRenewDeadlineSeconds * 1000,
      retryPeriodMs: config.leaseRetryPeriodSeconds * 1000,
      logger,
      onStartedLeading: () => this.kick(),
    });
    this.participant = {
      name: 'status',
      prepare: ({ table, newDiagnostics }) => {
        const served = new Set(table.ingresses);
        return () => {
          this.served = served;
          this.gatewayReport = table.gatewayStatus;
          this.diagnostics = table.diagnostics;
          for (const d of newDiagnostics) this.events.forget(d);
          // Tables are translated apart from snapshots (in a thread): write what the new one says.
          if (this.objects !== undefined) this.kick();
        };
      },
    };
    if (this.addresses === undefined && this.updateStatus) {
      this.logger.info('neither RAUTA_PUBLISH_STATUS_ADDRESS nor RAUTA_PUBLISH_SERVICE is set: Ingress status is not written');
    }
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
    await this.running;
  }

  /** A snapshot from the source (whether or not it changed the route table). */
  observe(objects: ObjectSet): void {
    this.objects = objects;
    this.kick();
  }

  private kick(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.syncLoop()
      // The writers retry and log their own API errors; anything reaching here is unexpected, and
      // status is best effort: log it and let the next snapshot try again.
      .catch((err: unknown) => this.logger.error({ err }, 'status sync failed'))
      .finally(() => (this.running = undefined));
  }

  private async syncLoop(): Promise<void> {
    do {
      this.again = false;
      await this.sync();
    } while (this.again);
  }

  private async sync(): Promise<void> {
    const objects = this.objects;
    const allowed = () => this.elector.isLeader;
    if (objects === undefined || !allowed()) return;
    if (this.updateStatus && this.addresses !== undefined) {
      const addresses = resolveAddresses(this.addresses, objects);
      if (addresses !== undefined) await this.writer.apply(statusChanges(objects, this.served, addresses), allowed);
    }
    if (this.updateStatus) {
      // Gateway API status is written even before an address is known: the conditions say why not.
      const addresses = this.addresses === undefined ? undefined : resolveAddresses(this.addresses, objects);
      await this.gatewayWriter.apply(gatewayStatusChanges(this.gatewayReport, objects, addresses, new Date().toISOString()), allowed);
    }
    const uids = new Map(objects.ingresses.map((i) => [`${i.metadata.namespace ?? 'default'}/${i.metadata.name}`, i.metadata.uid]));
    // Events are recorded for Ingresses only (Gateway API objects carry their problems in status).
    await this.events.flush(this.diagnostics, (d) => (d.kind === undefined && uids.has(`${d.namespace}/${d.ingress}`) ? { uid: uids.get(`${d.namespace}/${d.ingress}`) } : undefined), allowed);
  }
}
