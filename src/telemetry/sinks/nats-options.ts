import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'nats';
import { RautaError } from '../../errors.ts';

export interface NatsSettings {
  /** NATS_URL: nats://[user:pass@]host:port or tls://…; several separated by commas. */
  readonly url: string;
  /** NATS_CREDS: path of a .creds file (JWT + nkey seed). */
  readonly credsFile: string | undefined;
  readonly token: string | undefined;
}

export class NatsConfigError extends RautaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAUTA_ERR_NATS_CONFIG', message, options);
  }
}

/**
 * Turns RAUTA's NATS settings into nats.js options (the creds file read, its authenticator left to the
 * caller: this module is also used to check settings at start-up, where nats.js is not loaded). User and password are taken out of the URL and
 * passed as options (so they never appear in logs of the server list); `tls://` forces TLS.
 */
export function natsConnectionOptions(s: NatsSettings): { options: ConnectionOptions; display: string; creds?: Uint8Array } {
  const servers: string[] = [];
  const shown: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let tls = false;
  for (const raw of s.url.split(',').map((u) => u.trim()).filter((u) => u !== '')) {
    let url: URL;
    try {
      url = new URL(raw.includes('://') ? raw : `nats://${raw}`);
    } catch {
      throw new NatsConfigError(`NATS_URL: "${raw}" is not a URL`);
    }
    if (url.protocol === 'tls:') tls = true;
    else if (url.protocol !== 'nats:') throw new NatsConfigError(`NATS_URL: scheme must be nats:// or tls://, got ${url.protocol}//`);
    if (url.username !== '') {
      user = decodeURIComponent(url.username);
      pass = decodeURIComponent(url.password);
    }
    const hostPort = `${url.hostname}:${url.port === '' ? '4222' : url.port}`;
    servers.push(hostPort);
    shown.push(`${url.protocol}//${hostPort}`);
  }
  if (servers.length === 0) throw new NatsConfigError('NATS_URL is empty');
  const options: ConnectionOptions = { servers, name: 'rauta' };
  if (tls) options.tls = {};
  if (user !== undefined) {
    options.user = user;
    options.pass = pass;
  }
  if (s.token !== undefined) options.token = s.token;
  if (s.credsFile === undefined) return { options, display: shown.join(',') };
  try {
    return { options, display: shown.join(','), creds: readFileSync(s.credsFile) };
  } catch (err) {
    throw new NatsConfigError(`NATS_CREDS: cannot read ${s.credsFile}: ${(err as Error).message}`, { cause: err });
  }
}
