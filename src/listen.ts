import type { AddressInfo, Server } from 'node:net';
import { RautaError } from './errors.ts';

/** A listener that could not open; the message names the setting that chooses its port or address. */
export class ListenError extends RautaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAUTA_ERR_LISTEN', message, options);
  }
}

/** Which listener, and the settings a user changes to move it. */
export interface ListenerName {
  /** "HTTP", "HTTPS", "admin". */
  readonly what: string;
  readonly port: { readonly flag: string; readonly env: string };
  readonly address: { readonly flag: string; readonly env: string };
}

/** Turns the socket error of a failed listen into one sentence a user can act on. */
export function listenError(err: NodeJS.ErrnoException, name: ListenerName, host: string, port: number): ListenError {
  const where = `${host}:${port}`;
  const portSetting = `${name.port.flag} (${name.port.env})`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenError(`cannot open the ${name.what} listener on ${where}: the port is already in use (EADDRINUSE). Stop the program that holds it, or choose another port with ${portSetting}`, { cause: err });
    case 'EACCES':
      return new ListenError(`cannot open the ${name.what} listener on ${where}: permission denied (EACCES; ports below 1024 need privileges). Choose a port from 1024 up with ${portSetting}`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new ListenError(`cannot open the ${name.what} listener on ${where}: ${host} is not an address of this machine (EADDRNOTAVAIL). Change it with ${name.address.flag} (${name.address.env})`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError(`cannot open the ${name.what} listener: the bind address ${host} does not resolve. Change it with ${name.address.flag} (${name.address.env})`, { cause: err });
    default:
      return new ListenError(`cannot open the ${name.what} listener on ${where}: ${err.message}. Check ${portSetting} and ${name.address.flag} (${name.address.env})`, { cause: err });
  }
}

/** server.listen as a promise of the bound port; failures become a ListenError naming the setting. */
export function listenOn(server: Server, port: number, host: string, name: ListenerName, reusePort = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => reject(listenError(err, name, host, port));
    server.once('error', fail);
    // reusePort: data-plane workers each listen on the same port and the kernel spreads connections.
    server.listen({ port, host, reusePort }, () => {
      server.off('error', fail);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
