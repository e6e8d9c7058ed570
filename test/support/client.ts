import { type IncomingHttpHeaders, request } from 'node:http';

export interface SimpleResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `1.1` or `1.0`: the response's protocol version. */
  readonly httpVersion: string;
}

/** One request over a fresh connection (as the conformance suite does). */
export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string | Buffer): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), httpVersion: res.httpVersion }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function getJson<T = Record<string, unknown>>(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; json: T; headers: IncomingHttpHeaders }> {
  const res = await get(port, path, headers);
  return { status: res.status, headers: res.headers, json: JSON.parse(res.body) as T };
}
