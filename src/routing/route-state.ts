import { RautaError } from '../errors.ts';
import { RouteTable } from './route-table.ts';
import type { Diagnostic } from './types.ts';

/** A table on its way in, with what the parties around it need to know about it. */
export interface TableChange {
  readonly table: RouteTable;
  /** Equal fingerprints mean equal tables ('' for tables built by hand). */
  readonly fingerprint: string;
  readonly appliedAt: string;
  /** How long translation took. */
  readonly durationMs: number;
  /** Diagnostics that the table being replaced did not have. */
  readonly newDiagnostics: readonly Diagnostic[];
}

/**
 * Something that must follow the route table (selectors, health, certificates, telemetry, status).
 * A swap is two-phase: every participant prepares, then all commit.
 */
export interface SwapParticipant {
  /** Named in the error when its prepare step fails. */
  readonly name: string;
  /**
   * Builds everything `change` needs without touching what is live, and returns the step that makes it
   * live. Throwing vetoes the whole swap: nothing changes anywhere. The commit step must not fail: it
   * only publishes what prepare built (assignments, timers).
   */
  prepare(change: TableChange): () => void;
}

/**
 * A swap went wrong. Normally a participant could not prepare (`committed` false): the swap was refused
 * and every participant still serves the old table. `committed` true means a commit step broke its
 * contract and threw: the new table is live (every other commit ran), and the error is a bug to report.
 */
export class SwapError extends RautaError {
  readonly participant: string;
  readonly committed: boolean;
  constructor(participant: string, cause: unknown, committed = false) {
    const why = (cause as Error | undefined)?.message ?? String(cause);
    super(
      committed ? 'RAUTA_ERR_SWAP_COMMIT' : 'RAUTA_ERR_SWAP_FAILED',
      committed ? `route table applied, but ${participant} failed to commit it: ${why}` : `route table not applied: ${participant} could not prepare it: ${why}`,
      { cause },
    );
    this.participant = participant;
    this.committed = committed;
  }
}

/**
 * The current route table. Replacing it is one assignment: a request reads it once, at accept, and
 * keeps that table until it finishes. Every party that must follow the table is a participant in the
 * same two-phase swap; there is no other way to learn about a new table.
 */
export class RouteState {
  private current: RouteTable;
  private readonly participants: SwapParticipant[] = [];
  /** Set once the first complete configuration has been applied. */
  applied = false;

  constructor(initial: RouteTable) {
    this.current = initial;
  }

  get table(): RouteTable {
    return this.current;
  }

  participate(participant: SwapParticipant): void {
    this.participants.push(participant);
  }

  /**
   * Prepares every participant, then commits all of them and publishes the table, so the first request
   * on the new table finds everything built. Throws `SwapError` (with nothing changed) when a participant
   * cannot prepare. A table alone (tests, embedders) is swapped in with empty metadata.
   */
  swap(change: TableChange | RouteTable): void {
    const c: TableChange = change instanceof RouteTable ? { table: change, fingerprint: '', appliedAt: new Date().toISOString(), durationMs: 0, newDiagnostics: [] } : change;
    const commits: [string, () => void][] = [];
    for (const p of this.participants) {
      try {
        commits.push([p.name, p.prepare(c)]);
      } catch (err) {
        throw new SwapError(p.name, err);
      }
    }
    // Past this point the swap happens: one broken commit must not keep the others on the old table.
    let broken: SwapError | undefined;
    for (const [name, commit] of commits) {
      try {
        commit();
      } catch (err) {
        broken ??= new SwapError(name, err, true);
      }
    }
    this.current = c.table;
    this.applied = true;
    if (broken !== undefined) throw broken;
  }
}
