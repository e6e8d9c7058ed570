import type { SecureVersion } from 'node:tls';

/**
 * The TLS profile, shared by translation (which compiles every certificate with it before publishing)
 * and the HTTPS listener: TLS 1.2 and 1.3 only, forward-secret AEAD suites only (the
 * Mozilla "intermediate" profile). TLS 1.3 suites are listed first; for TLS 1.2 only ECDHE with
 * AES-GCM or ChaCha20-Poly1305. No CBC, RC4, 3DES, static RSA key exchange or SHA-1 MACs.
 */
export const TLS_MIN_VERSION: SecureVersion = 'TLSv1.2';

export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** The options every SecureContext of the listener shares (SNI switches the whole context). */
export const TLS_CONTEXT_OPTIONS = Object.freeze({
  minVersion: TLS_MIN_VERSION,
  ciphers: TLS_CIPHERS,
  honorCipherOrder: true,
});
