import type { IncomingHttpHeaders } from 'node:http';
import { type RequestOptions, request } from 'node:https';
import { type PeerCertificate, type TLSSocket, connect } from 'node:tls';

export interface TlsResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The certificate the server presented. */
  readonly peer: PeerCertificate;
  readonly alpn: string | false | null;
}

/** One HTTPS/1.1 request over a fresh TLS connection with the given SNI (certificates not verified). */
export function httpsGet(port: number, path: string, opts: { servername?: string; host?: string; headers?: Record<string, string> } = {}): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    // https.request passes TLS options such as ALPNProtocols through to tls.connect (the typings omit it).
    const options: RequestOptions & { ALPNProtocols: string[] } = {
      host: '127.0.0.1', port, path, agent: false, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'],
      servername: opts.servername, headers: { host: opts.host ?? opts.servername ?? 'localhost', ...opts.headers },
    };
    const req = request(options, (res) => {
      const socket = res.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const alpn = socket.alpnProtocol;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peer, alpn }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Only the handshake: which certificate does the server present for this SNI (undefined = none sent)? */
export function peerCertificate(port: number, servername: string | undefined, extra: { maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'; ciphers?: string } = {}): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...extra }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve(peer);
    });
    socket.on('error', reject);
  });
}

/** `DNS:a, DNS:b` → ['a', 'b']. */
export function sanNames(peer: PeerCertificate): string[] {
  return (peer.subjectaltname ?? '').split(',').map((s) => s.trim().replace(/^DNS:/, '')).filter((s) => s !== '');
}
