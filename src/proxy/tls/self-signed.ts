import { generate } from 'selfsigned';
import type { PemPair } from './certificate-store.ts';

/**
 * The certificate served for unknown SNI when RAUTA_DEFAULT_CERTIFICATE is unset (or its Secret is
 * missing): made fresh at every start, valid for a year, never trusted by anyone — like the "fake
 * certificate" other ingress controllers serve.
 */
export async function selfSignedCertificate(now = new Date()): Promise<PemPair> {
  const pems = await generate([{ name: 'commonName', value: 'RAUTA Default Certificate' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'rauta.invalid' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
