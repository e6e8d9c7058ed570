import { randomFillSync } from 'node:crypto';

/** W3C Trace Context (https://www.w3.org/TR/trace-context/) as RAUTA reads it from a request. */
export interface IncomingTrace {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: number;
  readonly traceState: string | undefined;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Parses `traceparent` (+ `tracestate`); undefined for absent or invalid headers, which the spec says to ignore. */
export function parseTraceparent(header: string | string[] | undefined, state: string | string[] | undefined): IncomingTrace | undefined {
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // Version ff is forbidden; version 00 has no trailing fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const traceState = Array.isArray(state) ? state.join(',') : state;
  return { traceId, spanId, flags: Number.parseInt(flags, 16), traceState: traceState === '' ? undefined : traceState };
}

export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${flags & 1 ? '01' : '00'}`;
}

/**
 * Random trace and span ids for events when tracing is off. Draws from a pooled buffer so the hot path
 * makes one `randomFillSync` call per ~200 requests instead of one per id.
 */
export class TraceIdSource {
  private readonly pool = Buffer.allocUnsafe(4096);
  private offset = 4096;

  private take(n: number): string {
    if (this.offset + n > this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const hex = this.pool.toString('hex', this.offset, this.offset + n);
    this.offset += n;
    return hex;
  }

  traceId(): string {
    const id = this.take(16);
    return id === ZERO_TRACE ? this.traceId() : id;
  }

  spanId(): string {
    const id = this.take(8);
    return id === ZERO_SPAN ? this.spanId() : id;
  }
}
