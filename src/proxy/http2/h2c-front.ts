import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import { type Server, type Socket, createServer } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * HTTP/2 with prior knowledge (RFC 9113 §3.3) on the plain port: the first bytes of a connection say
 * which protocol it speaks. A connection starting with the HTTP/2 preface goes to the h2c server,
 * anything else to the HTTP/1.1 server; the bytes read to decide are pushed back first.
 */
export function createH2cFront(http1: HttpServer, h2c: Http2Server, firstByteTimeoutMs: number): Server {
  const front = createServer({ noDelay: true }, (socket: Socket) => {
    // Until a server owns the socket, nobody else enforces a timeout on a client that sends nothing.
    const silent = setTimeout(() => socket.destroy(), firstByteTimeoutMs);
    socket.once('close', () => clearTimeout(silent));
    // The decision needs the whole 24-byte preface (or the first byte that differs from it): a first
    // read of just `P` may be the start of an HTTP/1.1 `POST` or `PUT`.
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const matches = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (matches && n < PREFACE.length) return;
      socket.off('data', onData);
      clearTimeout(silent);
      socket.pause();
      socket.unshift(seen);
      if (matches) {
        // The HTTP/2 session takes the buffered bytes over itself when it adopts the socket.
        h2c.emit('connection', socket);
      } else {
        // node:http reads later bytes natively, past the JS stream: resuming delivers the pushed-back
        // first bytes to its parser before that.
        http1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
    // Before the first byte nobody else listens for errors on this socket.
    socket.once('error', () => socket.destroy());
  });
  // node:http starts its connection tracking (headers timeout, closeIdleConnections and
  // closeAllConnections at shutdown) on its own 'listening' event; it never listens itself here.
  front.once('listening', () => http1.emit('listening'));
  return front;
}
