import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../../scripts/system-tools.ts';
import type { Obj } from './manifests.ts';

export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

/** A self-signed P-256 certificate for `hosts` (the first is the CN), made by the openssl CLI. */
export function makeCert(hosts: readonly string[]): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'rauta-cert-'));
  try {
    const keyPath = join(dir, 'tls.key');
    const certPath = join(dir, 'tls.crt');
    const openssl = requireTool('openssl');
    try {
      execFileSync(openssl, [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
        '-keyout', keyPath, '-out', certPath, '-subj', `/CN=${hosts[0]}`,
        '-addext', `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('the openssl CLI is needed for the TLS tests: apt-get install openssl');
      throw err;
    }
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `kubernetes.io/tls` Secret holding `c`. */
export function tlsSecret(name: string, c: TestCert, namespace = 'default'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(c.cert).toString('base64'), 'tls.key': Buffer.from(c.key).toString('base64') },
  };
}

/**
 * A self-signed certificate with a chosen key and validity window (selfsigned, pure JS): for the
 * certificates translation must refuse — a 1024-bit RSA key, expired, not yet valid.
 */
export async function makeCertWith(hosts: readonly string[], opts: { rsaBits?: number; notBefore?: Date; notAfter?: Date }): Promise<TestCert> {
  const { generate } = await import('selfsigned');
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: hosts[0] }], {
    ...(opts.rsaBits !== undefined ? { keyType: 'rsa' as const, keySize: opts.rsaBits } : { keyType: 'ec' as const, curve: 'P-256' }),
    algorithm: 'sha256',
    notBeforeDate: opts.notBefore ?? new Date(now - 60_000),
    notAfterDate: opts.notAfter ?? new Date(now + 2 * 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: hosts.map((h) => ({ type: 2, value: h })) }],
  });
  return { cert: pems.cert, key: pems.private };
}
