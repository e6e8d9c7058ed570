import { generate } from 'selfsigned';
import type { PemPair } from './certificate-store.ts';

/** The start-up certificate itself (selfsigned and its ~200 ASN.1/X.509 modules are loaded by whoever imports this). */
export async function makeSelfSigned(now: Date): Promise<PemPair> {
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
