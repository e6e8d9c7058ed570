/**
 * The one base class for RAUTA's errors. `code` is a stable `RAUTA_ERR_*` string that appears in logs,
 * events and error bodies (treat it as API); `cause` keeps the lower-level error that led to it, so a log
 * line can show both what RAUTA concluded and what the system said.
 */
export class RautaError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
