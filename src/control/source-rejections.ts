import type { SourceRejection } from '../sources/object-set.ts';

/** The last configuration a source read but could not use, as /routes, /api/summary and the web UI show it. */
export interface RejectedConfig {
  readonly at: string;
  /** e.g. `file` */
  readonly source: string;
  readonly code: string;
  /** Names the file, document and line or key, and what to change. */
  readonly message: string;
}

/**
 * Remembers why a source's latest configuration was refused (a manifest file that stopped parsing) while
 * the last good routes keep serving, so the reason is on screen and not only in the log. Cleared by the
 * next snapshot the source delivers.
 */
export class SourceRejections {
  total = 0;
  last: RejectedConfig | undefined;

  reject(r: SourceRejection): void {
    this.total++;
    this.last = { at: new Date().toISOString(), source: r.source, code: r.code, message: r.message };
  }

  accepted(): void {
    this.last = undefined;
  }
}
