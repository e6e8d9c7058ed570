import type { DownstreamRequest } from './downstream.ts';

/**
 * The request-body read timeout (`RAUTA_CLIENT_BODY_TIMEOUT_SECONDS`): a client trickling a body one
 * byte every few seconds would otherwise hold a backend connection (and a worker of the pod) for ever.
 * Armed when an attempt starts sending the body, re-armed by every chunk. When it fires, the client is
 * only blamed if RAUTA is actually waiting for it: a body already complete, or bytes that wait in our
 * buffer because the backend reads slowly, are not the client's stall.
 */
export class BodyReadTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly req: DownstreamRequest;
  private readonly ms: number;
  private readonly onStall: () => void;

  constructor(req: DownstreamRequest, ms: number, onStall: () => void) {
    this.req = req;
    this.ms = ms;
    this.onStall = onStall;
  }

  /** Starts (or restarts) the wait for the next chunk. */
  touch(): void {
    if (this.stopped || this.ms <= 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(this.fire, this.ms);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private readonly fire = (): void => {
    if (this.stopped) return;
    if (this.req.complete || this.req.readableEnded || this.req.destroyed) return this.stop();
    if (this.req.readableLength > 0) return this.touch();
    this.stop();
    this.onStall();
  };
}
