import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import bcrypt from 'bcryptjs';

const require = createRequire(import.meta.url);
const apacheMd5 = require('apache-md5') as (password: string, salt: string) => string;

export type HashScheme = 'bcrypt' | 'apr1' | 'sha1';

/** The htpasswd hash formats RAUTA verifies; crypt(3) DES and plain text are refused in translation. */
export function hashScheme(hash: string): HashScheme | undefined {
  if (/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)) return 'bcrypt';
  if (/^\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}$/.test(hash)) return 'apr1';
  if (/^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash)) return 'sha1';
  return undefined;
}

/**
 * Remembers passwords that verified (by a SHA-256 of hash and password), so a client sending the same
 * credentials on every request costs one bcrypt run, not one per request. Bounded: oldest dropped.
 */
export class PasswordCache {
  private readonly ok = new Set<string>();
  private readonly max: number;
  constructor(max = 1024) {
    this.max = max;
  }
  key(hash: string, password: string): string {
    return createHash('sha256').update(hash).update('\0').update(password).digest('base64');
  }
  has(k: string): boolean {
    return this.ok.has(k);
  }
  add(k: string): void {
    if (this.ok.size >= this.max) this.ok.delete(this.ok.values().next().value as string);
    this.ok.add(k);
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function verifyPassword(hash: string, password: string, cache: PasswordCache): Promise<boolean> {
  if (password.length > 1024) return false;
  const k = cache.key(hash, password);
  if (cache.has(k)) return true;
  let ok = false;
  switch (hashScheme(hash)) {
    case 'bcrypt': ok = await bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$')); break;
    case 'apr1': ok = equal(apacheMd5(password, hash), hash); break;
    case 'sha1': ok = equal(`{SHA}${createHash('sha1').update(password).digest('base64')}`, hash); break;
    default: ok = false;
  }
  if (ok) cache.add(k);
  return ok;
}
