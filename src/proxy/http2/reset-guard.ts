import { type Http2Server, type Http2SecureServer, type Http2Session, type ServerHttp2Stream, constants } from 'node:http2';

export interface ResetGuardOptions {
  /** Peer stream resets allowed per connection per window before the connection is closed. */
  readonly maxResets: number;
  readonly windowMs: number;
  /** A connection without any frame for this long gets GOAWAY (like HTTP/1.1 keep-alive idle). */
  readonly idleTimeoutMs: number;
  /** Called once per connection closed for too many resets. */
  onAbuse?(session: Http2Session): void;
}

/**
 * Rapid-reset protection (CVE-2023-44487): a client that opens streams and cancels them at once makes
 * the proxy start (and abandon) backend work for free. Every stream that ends in RST_STREAM before its
 * response completed counts; past the cap within a window the connection gets GOAWAY
 * (ENHANCE_YOUR_CALM) and is destroyed. Also closes idle sessions, and tracks live ones so shutdown
 * can close them.
 */
export class Http2Sessions {
  private readonly live = new Set<Http2Session>();
  private readonly opts: ResetGuardOptions;
  private abusive = 0;

  constructor(opts: ResetGuardOptions) {
    this.opts = opts;
  }

  get closedForResets(): number {
    return this.abusive;
  }

  get size(): number {
    return this.live.size;
  }

  attach(server: Http2Server | Http2SecureServer): void {
    server.on('session', (session: Http2Session) => this.track(session));
  }

  private track(session: Http2Session): void {
    this.live.add(session);
    session.once('close', () => this.live.delete(session));
    // Errors on one connection (bad frames, resets) concern that client only.
    session.on('error', () => session.destroy());
    if (this.opts.idleTimeoutMs > 0) session.setTimeout(this.opts.idleTimeoutMs, () => session.close());
    let windowStart = performance.now();
    let resets = 0;
    session.on('stream', (stream: ServerHttp2Stream) => {
      // A reset with code NO_ERROR still aborts a stream whose response was not finished: count both.
      let aborted = false;
      stream.once('aborted', () => { aborted = true; });
      stream.once('close', () => {
        if (!aborted && (stream.rstCode === constants.NGHTTP2_NO_ERROR || stream.rstCode === undefined)) return;
        const now = performance.now();
        if (now - windowStart > this.opts.windowMs) {
          windowStart = now;
          resets = 0;
        }
        if (++resets <= this.opts.maxResets || session.destroyed) return;
        this.abusive++;
        this.opts.onAbuse?.(session);
        session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
        session.destroy();
      });
    });
  }

  /** Graceful: GOAWAY to every client; streams in flight may finish. */
  closeAll(): void {
    for (const s of this.live) if (!s.closed) s.close();
  }

  destroyAll(): void {
    for (const s of this.live) s.destroy();
  }
}
