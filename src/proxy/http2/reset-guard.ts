import { type Http2Server, type Http2SecureServer, type Http2Session, type ServerHttp2Stream, constants } from 'node:http2';

export interface ResetGuardOptions {
  /** Peer stream resets allowed per connection per window before the connection is closed. */
  readonly maxResets: number;
  readonly windowMs: number;
  /**
   * Peer stream resets allowed per client address per window, over all its connections: a client that
   * reconnects after each GOAWAY would otherwise get a fresh per-connection budget every time.
   */
  readonly maxResetsPerClient?: number;
  /** A connection without any frame for this long gets GOAWAY (like HTTP/1.1 keep-alive idle). */
  readonly idleTimeoutMs: number;
  /** Called once per connection closed for too many resets. */
  onAbuse?(session: Http2Session): void;
}

interface ClientWindow {
  start: number;
  resets: number;
}

/** Addresses tracked at most; beyond it, windows that have ended are swept (a bounded map). */
const MAX_TRACKED_CLIENTS = 10_000;

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
  private readonly clients = new Map<string, ClientWindow>();

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

  /** The client's window, started afresh when the last one ended. */
  private clientWindow(address: string, now: number): ClientWindow {
    let w = this.clients.get(address);
    if (w === undefined || now - w.start > this.opts.windowMs) {
      if (w === undefined && this.clients.size >= MAX_TRACKED_CLIENTS) {
        for (const [a, cw] of this.clients) if (now - cw.start > this.opts.windowMs) this.clients.delete(a);
        // Still full of live windows: forget the oldest one rather than grow without bound.
        if (this.clients.size >= MAX_TRACKED_CLIENTS) this.clients.delete(this.clients.keys().next().value as string);
      }
      w = { start: now, resets: 0 };
      this.clients.set(address, w);
    }
    return w;
  }

  private overClientBudget(address: string, now: number): boolean {
    const max = this.opts.maxResetsPerClient;
    if (max === undefined) return false;
    const w = this.clients.get(address);
    return w !== undefined && now - w.start <= this.opts.windowMs && w.resets > max;
  }

  private closeForAbuse(session: Http2Session): void {
    this.abusive++;
    this.opts.onAbuse?.(session);
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
  }

  private track(session: Http2Session): void {
    const address = (session.socket?.remoteAddress ?? '').replace(/^::ffff:/, '');
    // An address over its budget gets GOAWAY on every new connection until its window ends: no
    // stream of this connection ever reaches a backend.
    if (this.overClientBudget(address, performance.now())) {
      session.on('error', () => session.destroy());
      // No stream of this connection may reach a backend; the session is torn down once node:http2 has
      // finished setting it up (destroying it inside 'session' breaks node:http2's own set-up).
      // Prepended: the stream is refused before the server's own listener hands it to the pipeline,
      // which then finds it closed and starts nothing upstream.
      session.prependListener('stream', (stream: ServerHttp2Stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM));
      setImmediate(() => this.closeForAbuse(session));
      return;
    }
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
        const overConnection = ++resets > this.opts.maxResets;
        let overClient = false;
        if (this.opts.maxResetsPerClient !== undefined) {
          const w = this.clientWindow(address, now);
          overClient = ++w.resets > this.opts.maxResetsPerClient;
        }
        if ((!overConnection && !overClient) || session.destroyed) return;
        if (overClient) {
          // Every connection of this address goes, not just the one that crossed the line.
          for (const s of this.live) if (s !== session && !s.destroyed && sameAddress(s, address)) this.closeForAbuse(s);
        }
        this.closeForAbuse(session);
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

function sameAddress(session: Http2Session, address: string): boolean {
  return (session.socket?.remoteAddress ?? '').replace(/^::ffff:/, '') === address;
}
