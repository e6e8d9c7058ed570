import type { Logger } from 'pino';
import type { Config } from '../config/settings.ts';

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can connect to. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/**
 * The admin port shows every route, pod address and live request. Listening beyond loopback without a
 * token is sometimes intended (a pod behind a NetworkPolicy), but never silently: say so at start.
 */
export function warnIfAdminExposed(config: Pick<Config, 'adminToken' | 'adminBindAddress' | 'adminAllowedHosts'>, port: number, logger: Logger): void {
  if (config.adminToken !== undefined || isLoopback(config.adminBindAddress)) return;
  logger.warn(
    { admin: `${config.adminBindAddress}:${port}`, allowed_hosts: config.adminAllowedHosts },
    'ADMIN PORT OPEN WITHOUT A TOKEN: it listens beyond loopback and anyone who reaches it sees routes, pod addresses and live requests. Set RAUTA_ADMIN_TOKEN, or RAUTA_ADMIN_BIND_ADDRESS=127.0.0.1, or keep the port behind a NetworkPolicy',
  );
}
