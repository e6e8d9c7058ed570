import type { DownstreamRequest } from './downstream.ts';

/** Why a request body was given up on. */
export type BodyStall = 'idle' | 'slow';

/**
 * The request-body timeouts. A client trickling a body would otherwise hold a backend connection (and a
 * worker of the pod) for ever, since bodies stream to the backend as they arrive:
 * - idle (`RAUTA_CLIENT_BODY_TIMEOUT_SECONDS`): the longest pause between two reads;
 * - slow (`RAUTA_CLIENT_BODY_MIN_BYTES_PER_SECOND`): over each such period the body must also arrive at
 *   this average rate at least, so one byte every few seconds (which never pauses long) is cut too.
 *   Kestrel's default minimum, 240 bytes/s, is ours.
 * Both start when an attempt starts sending the body. When one fires, the client is only blamed if RAUTA
 * is actually waiting for it: a body already complete, or bytes that wait in our buffer because the
 * backend reads slowly, are not the client's stall.
 */
export class BodyReadTimer {
  private idle: NodeJS.Timeout | undefined;
  private period: NodeJS.Timeout | undefined;
  private bytesThisPeriod = 0;
  private stopped = false;
  private readonly req: DownstreamRequest;
  private readonly ms: number;
  private readonly minBytesPerSecond: number;
  private readonly onStall: (why: BodyStall) => void;

  constructor(req: DownstreamRequest, ms: number, minBytesPerSecond: number, onStall: (why: BodyStall) => void) {
    this.req = req;
    this.ms = ms;
    this.minBytesPerSecond = minBytesPerSecond;
    this.onStall = onStall;
  }

  /** Starts (or restarts) the wait for the next chunk; `bytes` arrived just now. */
  touch(bytes = 0): void {
    if (this.stopped || this.ms <= 0) return;
    this.bytesThisPeriod += bytes;
    clearTimeout(this.idle);
    this.idle = setTimeout(this.onIdle, this.ms);
    if (this.period === undefined && this.minBytesPerSecond > 0) this.period = setInterval(this.onPeriod, this.ms);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.idle);
    clearInterval(this.period);
  }

  /** True when the client owes us nothing right now. */
  private notWaitingForClient(): boolean {
    if (this.req.complete || this.req.readableEnded || this.req.destroyed) {
      this.stop();
      return true;
    }
    // Bytes buffered here, or a reader that paused the body (undici, while the backend connection is
    // not up or its socket is full): the wait is on our side, not the client's. (An async-iterator
    // reader — a chunked body — shows as flowing === false too, but with a 'readable' listener.)
    if (this.req.readableLength > 0) return true;
    return this.req.readableFlowing === false && this.req.listenerCount('readable') === 0;
  }

  private readonly onIdle = (): void => {
    if (this.stopped) return;
    if (this.notWaitingForClient()) return this.touch();
    this.stop();
    this.onStall('idle');
  };

  private readonly onPeriod = (): void => {
    if (this.stopped) return;
    const bytes = this.bytesThisPeriod;
    this.bytesThisPeriod = 0;
    if (this.notWaitingForClient()) return;
    if (bytes >= (this.minBytesPerSecond * this.ms) / 1000) return;
    this.stop();
    this.onStall('slow');
  };
}
