import { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, connect } from 'node:http2';

export interface H2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Opens an HTTP/2 session (TLS when `url` is https, prior-knowledge h2c when http) and waits for it. */
export async function h2session(url: string, servername?: string): Promise<ClientHttp2Session> {
  const session = connect(url, { servername, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  session.on('error', () => {});
  return session;
}

export function h2request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let resHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      status = Number(h[':status']);
      resHeaders = h;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, headers: resHeaders, body: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}
