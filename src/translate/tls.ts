import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { type DiagnosticReason, Reasons } from '../routing/reasons.ts';
import { TLS_CONTEXT_OPTIONS } from '../routing/tls-profile.ts';
import type { Secret } from '../sources/object-set.ts';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export type CertificateResult = { ok: true; cert: string; key: string } | { ok: false; reason: DiagnosticReason; message: string };

/** What compiling a pair taught us; the validity window is checked against the clock on every use. */
type Compiled = { ok: true; notBefore: number; notAfter: number } | { ok: false; message: string };

/**
 * Compiles certificate/key pairs exactly as the HTTPS listener will (`createSecureContext` with the
 * listener's TLS profile), so whatever OpenSSL refuses — a key below its security level
 * (ERR_SSL_EE_KEY_TOO_SMALL), an unusable key type, a broken chain — fails here, for one TLS entry,
 * instead of inside a route-table swap.
 *
 * Compiling costs about a millisecond, so results are remembered by content: a rebuild re-checks only
 * the pairs that changed. Entries not used by the latest translation are dropped at its end (`sweep`).
 */
export class CertificateChecker {
  private current = new Map<string, Compiled>();
  private previous = new Map<string, Compiled>();

  check(certPem: string, keyPem: string): Compiled {
    const id = createHash('sha256').update(certPem).update('\0').update(keyPem).digest('hex');
    let result = this.current.get(id) ?? this.previous.get(id);
    if (result === undefined) result = compile(certPem, keyPem);
    this.current.set(id, result);
    return result;
  }

  /** Ends one translation: forgets the pairs it did not use. */
  sweep(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

function compile(certPem: string, keyPem: string): Compiled {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
    const privateKey = createPrivateKey(keyPem);
    if (!x509.checkPrivateKey(privateKey)) return { ok: false, message: 'tls.key does not match tls.crt' };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  try {
    createSecureContext({ ...TLS_CONTEXT_OPTIONS, cert: certPem, key: keyPem });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, message: `rejected by OpenSSL: ${(err as Error).message}${code ? ` (${code})` : ''}` };
  }
  const notBefore = Date.parse(x509.validFrom);
  const notAfter = Date.parse(x509.validTo);
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return { ok: false, message: `unreadable validity dates (${x509.validFrom} – ${x509.validTo})` };
  return { ok: true, notBefore, notAfter };
}

/**
 * Checks a `kubernetes.io/tls` Secret: both keys present, a parseable certificate, a private key that
 * belongs to it, a pair OpenSSL accepts with the listener's profile, and a validity window containing
 * `now`. The result depends only on the Secret and `now`.
 */
export function readTlsSecret(secret: Secret | undefined, ref: string, checker: CertificateChecker, now: number): CertificateResult {
  if (!secret) return { ok: false, reason: Reasons.SecretNotFound, message: `TLS secret ${ref} not found` };
  if (secret.type !== undefined && secret.type !== TLS_SECRET_TYPE) {
    return { ok: false, reason: Reasons.InvalidSecret, message: `secret ${ref} has type ${secret.type}, expected ${TLS_SECRET_TYPE}` };
  }
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) return { ok: false, reason: Reasons.InvalidSecret, message: `secret ${ref} lacks tls.crt or tls.key` };
  const certPem = Buffer.from(crt, 'base64').toString('utf8');
  const keyPem = Buffer.from(key, 'base64').toString('utf8');
  const compiled = checker.check(certPem, keyPem);
  if (!compiled.ok) return { ok: false, reason: Reasons.InvalidCertificate, message: `secret ${ref}: ${compiled.message}` };
  if (now < compiled.notBefore) {
    return { ok: false, reason: Reasons.InvalidCertificate, message: `secret ${ref}: certificate not valid before ${new Date(compiled.notBefore).toISOString()}` };
  }
  if (now > compiled.notAfter) {
    return { ok: false, reason: Reasons.InvalidCertificate, message: `secret ${ref}: certificate expired at ${new Date(compiled.notAfter).toISOString()}` };
  }
  return { ok: true, cert: certPem, key: keyPem };
}
