import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Secret } from '../sources/object-set.ts';
import { type DiagnosticReason, Reasons } from '../routing/reasons.ts';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export type CertificateResult = { ok: true; cert: string; key: string } | { ok: false; reason: DiagnosticReason; message: string };

/**
 * Checks a `kubernetes.io/tls` Secret: both keys present, a parseable certificate, and a private key
 * that belongs to it. Deterministic, so it can live in the pure translation step.
 */
export function readTlsSecret(secret: Secret | undefined, ref: string): CertificateResult {
  if (!secret) return { ok: false, reason: Reasons.SecretNotFound, message: `TLS secret ${ref} not found` };
  if (secret.type !== undefined && secret.type !== TLS_SECRET_TYPE) {
    return { ok: false, reason: Reasons.InvalidSecret, message: `secret ${ref} has type ${secret.type}, expected ${TLS_SECRET_TYPE}` };
  }
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) return { ok: false, reason: Reasons.InvalidSecret, message: `secret ${ref} lacks tls.crt or tls.key` };
  const certPem = Buffer.from(crt, 'base64').toString('utf8');
  const keyPem = Buffer.from(key, 'base64').toString('utf8');
  try {
    const x509 = new X509Certificate(certPem);
    const privateKey = createPrivateKey(keyPem);
    if (!x509.checkPrivateKey(privateKey)) {
      return { ok: false, reason: Reasons.InvalidCertificate, message: `secret ${ref}: tls.key does not match tls.crt` };
    }
  } catch (err) {
    return { ok: false, reason: Reasons.InvalidCertificate, message: `secret ${ref}: ${(err as Error).message}` };
  }
  return { ok: true, cert: certPem, key: keyPem };
}
