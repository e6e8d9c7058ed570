import { type NatsConnection, connect, credsAuthenticator } from 'nats';
import type { Logger } from 'pino';
import type { RequestEvent } from '../request-event.ts';
import type { EventSink, SinkCounters } from '../sink.ts';
import { type NatsSettings, natsConnectionOptions } from './nats-options.ts';

export interface NatsPublisherOptions extends NatsSettings {
  /** Messages held while disconnected; beyond this they are dropped and counted. */
  readonly bufferSize: number;
  readonly counters: SinkCounters;
  readonly onConnectedChange: (connected: boolean) => void;
  readonly logger: Logger;
}

const MAX_BACKOFF_MS = 2000;

/** nats.js's protocol handler: takes bytes already in wire format (`sendCommand`, what `publish` ends in). */
interface RawProtocol {
  sendCommand(cmd: Uint8Array): void;
}

function rawProtocolOf(nc: NatsConnection): RawProtocol | undefined {
  const p = (nc as unknown as { protocol?: Partial<RawProtocol> }).protocol;
  return typeof p?.sendCommand === 'function' ? (p as RawProtocol) : undefined;
}

const CRLF_BYTES = 2;

/**
 * Core-NATS `PUB <subject> <bytes>\r\n<payload>\r\n` frames written straight into one buffer. Per
 * event, nats.js's `publish` encoded the payload into its own Buffer (a byte-length scan and an
 * allocation), the PUB line through a TextEncoder, kept both in a list and copied them all again into
 * one buffer before the socket write; here each payload is encoded once, next to its PUB line.
 */
export class PubFrames {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;
  count = 0;
  /** UTF-8 bytes of each subject (a subject may be any non-blank text, not only ASCII). */
  private readonly subjectBytes = new Map<string, number>();

  /** Appends one frame; false when the payload exceeds `maxPayload` bytes (nothing is written then). */
  add(subject: string, payload: string, maxPayload: number): boolean {
    let subjectBytes = this.subjectBytes.get(subject);
    if (subjectBytes === undefined) {
      subjectBytes = Buffer.byteLength(subject, 'utf8');
      this.subjectBytes.set(subject, subjectBytes);
    }
    // Room for the PUB line and the worst case of UTF-8 (3 bytes per UTF-16 unit).
    const head = 4 + subjectBytes + 1;
    this.ensure(head + 10 + 2 + payload.length * 3 + CRLF_BYTES);
    const b = this.buf;
    const start = this.pos;
    // Written where the payload goes if its byte count has as many digits as its length (ASCII), moved otherwise.
    const guessDigits = String(payload.length).length;
    const at = start + head + guessDigits + 2;
    const bytes = b.write(payload, at, 'utf8');
    if (bytes > maxPayload) return false;
    const len = String(bytes);
    if (len.length !== guessDigits) b.copyWithin(at + len.length - guessDigits, at, at + bytes);
    let p = start + b.write(`PUB ${subject} ${len}\r\n`, start, 'utf8');
    p += bytes;
    b[p++] = 13;
    b[p++] = 10;
    this.pos = p;
    this.count++;
    return true;
  }

  /** The frames so far as a buffer of their own (nats.js keeps it until written); empties the batch. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    this.count = 0;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** 100 ms, 200 ms, 400 ms … capped at 2 s, plus up to 100 ms of jitter so a fleet does not reconnect in step. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 10)) + Math.floor(Math.random() * 100);
}

/**
 * Core-NATS publishing that never waits: start-up does not wait for the server, the first connection
 * is retried forever with backoff (our own loop, so `close()` can stop it), and nats.js reconnects
 * forever after that. While disconnected, messages wait in a bounded buffer and are flushed on
 * reconnect; when the buffer is full, new messages are dropped and counted.
 */
export class NatsPublisher {
  private nc: NatsConnection | undefined;
  private connected = false;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly buffer: { subject: string; data: Uint8Array }[] = [];
  private readonly opts: NatsPublisherOptions;
  private readonly logger: Logger;
  private readonly display: string;
  private readonly connectOptions: ReturnType<typeof natsConnectionOptions>['options'];
  private raw: RawProtocol | undefined;
  private readonly frames = new PubFrames();
  private readonly flushFramesBound = () => this.flushFrames();

  constructor(opts: NatsPublisherOptions) {
    this.opts = opts;
    this.logger = opts.logger.child({ component: 'nats' });
    const { options, display, creds } = natsConnectionOptions(opts);
    this.display = display;
    this.connectOptions = {
      ...options,
      ...(creds !== undefined ? { authenticator: credsAuthenticator(creds) } : {}),
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectDelayHandler: () => backoffMs(this.attempt++),
      timeout: 2000,
      pingInterval: 10_000,
      maxPingOut: 2,
    };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Begins connecting in the background; returns at once. */
  start(): void {
    this.tryConnect().catch((err: unknown) => this.logger.error({ err }, 'NATS connect loop failed'));
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.connected && this.nc !== undefined) {
      try {
        this.nc.publish(subject, data);
        this.opts.counters.published();
        return;
      } catch {
        // Closed under us (close() racing a drain): fall through to the buffer.
      }
    }
    if (this.closed || this.buffer.length >= this.opts.bufferSize) {
      this.opts.counters.dropped();
      return;
    }
    this.buffer.push({ subject, data });
  }

  /**
   * `publish` for text: while connected, the message joins this turn's frames, which go to nats.js as
   * one write in a microtask (where nats.js would have flushed too). Otherwise, or if nats.js does not
   * offer its raw write, the message takes the `publish` path (buffered while disconnected).
   */
  publishText(subject: string, text: string): void {
    const nc = this.nc;
    if (this.raw === undefined || !this.connected || nc === undefined || nc.isClosed() || nc.isDraining()) {
      this.publish(subject, Buffer.from(text));
      return;
    }
    // Too large for the server: `publish` fails it exactly as before.
    if (!this.frames.add(subject, text, nc.info?.max_payload ?? Number.POSITIVE_INFINITY)) {
      this.publish(subject, Buffer.from(text));
      return;
    }
    if (this.frames.count === 1) queueMicrotask(this.flushFramesBound);
  }

  private flushFrames(): void {
    const n = this.frames.count;
    if (n === 0) return;
    const bytes = this.frames.take();
    try {
      // Frames are only gathered while `raw` is set.
      (this.raw as RawProtocol).sendCommand(bytes);
      this.opts.counters.published(n);
    } catch {
      this.opts.counters.dropped(n);
    }
  }

  private async tryConnect(): Promise<void> {
    if (this.closed) return;
    try {
      const nc = await connect(this.connectOptions);
      if (this.closed) {
        await nc.close();
        return;
      }
      this.nc = nc;
      this.raw = rawProtocolOf(nc);
      this.attempt = 0;
      this.setConnected(true);
      this.logger.info({ servers: this.display }, 'connected to NATS');
      this.watch(nc).catch((err: unknown) => this.logger.warn({ err }, 'NATS status watch ended'));
      void nc.closed().then((err) => {
        this.setConnected(false);
        if (this.closed) return;
        // nats.js gives up on a connection only for fatal errors (e.g. auth revoked while reconnecting);
        // RAUTA never gives up: start over with a fresh connection.
        this.logger.error({ err: err?.message }, 'NATS connection closed; reconnecting');
        this.nc = undefined;
        this.retryLater(undefined);
      });
    } catch (err) {
      this.retryLater(err as Error);
    }
  }

  private retryLater(err: Error | undefined): void {
    const delay = backoffMs(this.attempt++);
    if (err !== undefined && (this.attempt === 1 || this.attempt % 20 === 0)) {
      this.logger.warn({ servers: this.display, err: err.message, retry_ms: delay, attempts: this.attempt }, 'NATS not reachable; retrying in the background');
    }
    this.retryTimer = setTimeout(() => void this.tryConnect(), delay);
    this.retryTimer.unref();
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.setConnected(false);
        this.logger.warn({ server: String(s.data) }, 'NATS disconnected; buffering events');
      } else if (s.type === 'reconnect') {
        this.attempt = 0;
        this.setConnected(true);
        this.logger.info({ server: String(s.data), buffered: this.buffer.length }, 'NATS reconnected');
      }
    }
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.opts.onConnectedChange(connected);
    if (connected) this.flush();
  }

  private flush(): void {
    const pending = this.buffer.splice(0);
    for (const m of pending) this.publish(m.subject, m.data);
  }

  async close(timeoutMs = 2000): Promise<void> {
    // Frames of this turn go before the drain (which stops publishing).
    this.flushFrames();
    this.closed = true;
    clearTimeout(this.retryTimer);
    const nc = this.nc;
    if (nc === undefined) return;
    this.setConnected(false);
    // Flush what nats.js holds, but never let a hung server hold up shutdown.
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([nc.drain().catch(() => nc.close()), timer]);
    if (!nc.isClosed()) await nc.close().catch(() => {});
  }
}

/** Request events → `rauta.requests` (and the optional mirror subject, e.g. `observations.rauta`). */
export class NatsSink implements EventSink {
  readonly name = 'nats';
  private readonly publisher: NatsPublisher;
  private readonly subject: string;
  private readonly mirror: string | undefined;

  constructor(publisher: NatsPublisher, subject: string, mirror: string | undefined) {
    this.publisher = publisher;
    this.subject = subject;
    this.mirror = mirror;
  }

  write(_event: RequestEvent, json: string): void {
    this.publisher.publishText(this.subject, json);
    if (this.mirror !== undefined) this.publisher.publishText(this.mirror, json);
  }

  close(): Promise<void> {
    return this.publisher.close();
  }
}
