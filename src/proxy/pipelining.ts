import type { Socket } from 'node:net';

/** A pipelined request waiting for its turn. */
export interface Waiting {
  /** Runs the request (its turn came). */
  start(): void;
  /** The connection closed before its turn: finish it as aborted. */
  abort(): void;
}

interface Lane {
  busy: boolean;
  readonly waiting: Waiting[];
  /** Reading is held because too many requests wait. */
  hold: boolean;
}

/** Waiting requests at which a connection stops being read, and the level at which reading resumes. */
const HOLD_AT = 32;
const RELEASE_AT = 8;

/**
 * HTTP/1.1 pipelining, served one request at a time per connection (RFC 9112 §9.3.2 requires the
 * responses in order anyway). node:http parses every request a client sends ahead and emits them all at
 * once: started together, 2,000 pipelined requests on one socket opened 2,000 backend connections. Here
 * a request starts when the previous one's response has closed.
 *
 * The queue is bounded: past HOLD_AT waiting requests the connection is no longer read (the bytes
 * already read are still parsed, so the queue can pass HOLD_AT by one read's worth, at most 64 KiB of
 * requests) until it drains to RELEASE_AT.
 */
export class ConnectionTurns {
  private readonly lanes = new WeakMap<Socket, Lane>();

  /** Starts the request now if the connection is idle, else queues it. */
  enter(socket: Socket, w: Waiting): void {
    let lane = this.lanes.get(socket);
    if (lane === undefined) {
      lane = { busy: false, waiting: [], hold: false };
      this.lanes.set(socket, lane);
      const l = lane;
      socket.once('close', () => {
        for (const q of l.waiting.splice(0)) q.abort();
      });
    }
    if (!lane.busy) {
      lane.busy = true;
      w.start();
      return;
    }
    lane.waiting.push(w);
    if (lane.waiting.length >= HOLD_AT && !lane.hold) this.holdReading(socket, lane);
  }

  /** The current request's response closed: the next one starts. */
  leave(socket: Socket): void {
    const lane = this.lanes.get(socket);
    if (lane === undefined) return;
    const next = lane.waiting.shift();
    if (next === undefined) {
      lane.busy = false;
      return;
    }
    if (lane.hold && lane.waiting.length <= RELEASE_AT) this.releaseReading(socket, lane);
    // A later turn must not run inside the previous response's 'close' handlers.
    setImmediate(() => (socket.destroyed ? next.abort() : next.start()));
  }

  private holdReading(socket: Socket, lane: Lane): void {
    lane.hold = true;
    socket.pause();
    // node:http resumes the socket by itself (reading a request body, draining a response); while we
    // hold it those calls are ignored. An own property shadows Socket.prototype.resume for this socket
    // only, and is removed on release.
    Object.defineProperty(socket, 'resume', { configurable: true, writable: true, value: () => socket });
  }

  private releaseReading(socket: Socket, lane: Lane): void {
    lane.hold = false;
    delete (socket as { resume?: unknown }).resume;
    // node:http's own pause (a client not reading its responses) stays in force: it resumes itself.
    if ((socket as Socket & { _paused?: boolean })._paused !== true) socket.resume();
  }
}
