import type { Logger } from 'pino';
import type { Config } from './config/settings.ts';
import { serving } from './proxy/serving.ts';
import { type Rauta, type StartRole, startCore } from './start.ts';
// Loaded with this module, not while startRauta runs (start-up stays as quick as before): the admin
// routes, the file source and the start-up certificate's modules, which a data-plane worker never needs.
import './admin/admin-routes.ts';
import './sources/file/file-source.ts';
import './proxy/tls/self-signed-make.ts';

export type { Rauta, StartRole } from './start.ts';

/** RAUTA in one process (or a data-plane worker): everything, serving modules included. */
export function startRauta(config: Config, logger: Logger, role: StartRole = {}): Promise<Rauta> {
  return startCore(config, logger, role, serving);
}
