/**
 * One configuration setting: an environment variable, a command-line flag, a default and a parser.
 * Every setting is declared once in settings.ts; help text, parsing and validation all come from there.
 */
export interface Setting<T> {
  readonly env: string;
  readonly flag: string;
  readonly description: string;
  /** Shown in --help; undefined means "unset". */
  readonly defaultText: string;
  readonly defaultValue: T;
  /** Returns the parsed value, or throws an Error whose message says what is wrong. */
  parse(raw: string): T;
  /** Boolean flags may be given without a value (`--h2c`). */
  readonly isBoolean?: boolean;
}

export function integer(env: string, flag: string, def: number, description: string, min = 0, max = Number.MAX_SAFE_INTEGER): Setting<number> {
  return {
    env, flag, description, defaultText: String(def), defaultValue: def,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`expected an integer, got "${raw}"`);
      const n = Number(raw);
      if (n < min || n > max) throw new Error(`expected ${min}..${max}, got ${n}`);
      return n;
    },
  };
}

/** An integer that must be prime (hash table sizes). */
export function prime(env: string, flag: string, def: number, description: string, min: number, max: number): Setting<number> {
  const base = integer(env, flag, def, description, min, max);
  return {
    ...base,
    parse(raw) {
      const n = base.parse(raw);
      if (!isPrime(n)) throw new Error(`expected a prime number, got ${n} (e.g. 65537, 131071, 262147)`);
      return n;
    },
  };
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n)) return false;
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

export function port(env: string, flag: string, def: number, description: string): Setting<number> {
  // 0 asks the OS for a free port (used by tests).
  return integer(env, flag, def, description, 0, 65535);
}

export function seconds(env: string, flag: string, def: number, description: string): Setting<number> {
  return {
    env, flag, description, defaultText: `${def}`, defaultValue: def,
    parse(raw) {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`expected a non-negative number of seconds, got "${raw}"`);
      return n;
    },
  };
}

export function text(env: string, flag: string, def: string, description: string, pattern?: RegExp): Setting<string> {
  return {
    env, flag, description, defaultText: def === '' ? 'unset' : def, defaultValue: def,
    parse(raw) {
      if (pattern && raw !== '' && !pattern.test(raw)) throw new Error(`"${raw}" does not match ${pattern}`);
      return raw;
    },
  };
}

export function optional(env: string, flag: string, description: string, pattern?: RegExp): Setting<string | undefined> {
  return {
    env, flag, description, defaultText: 'unset', defaultValue: undefined,
    parse(raw) {
      if (raw === '') return undefined;
      if (pattern && !pattern.test(raw)) throw new Error(`"${raw}" does not match ${pattern}`);
      return raw;
    },
  };
}

export function choice<const C extends string>(env: string, flag: string, def: C, choices: readonly C[], description: string): Setting<C> {
  return {
    env, flag, description, defaultText: def, defaultValue: def,
    parse(raw) {
      const v = raw.trim() as C;
      if (!choices.includes(v)) throw new Error(`expected one of ${choices.join(', ')}, got "${raw}"`);
      return v;
    },
  };
}

export function boolean(env: string, flag: string, def: boolean, description: string): Setting<boolean> {
  return {
    env, flag, description, defaultText: String(def), defaultValue: def, isBoolean: true,
    parse(raw) {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw new Error(`expected true or false, got "${raw}"`);
    },
  };
}

export function list(env: string, flag: string, description: string): Setting<readonly string[]> {
  return {
    env, flag, description, defaultText: 'unset', defaultValue: [],
    parse(raw) {
      return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    },
  };
}

/** A credential: never echoed back, not even in the error for a value that is too short. */
export function secret(env: string, flag: string, description: string, minLength: number): Setting<string | undefined> {
  return {
    env, flag, description, defaultText: 'unset', defaultValue: undefined,
    parse(raw) {
      if (raw === '') return undefined;
      if (raw.length < minLength || !/^[\x21-\x7e]+$/.test(raw)) throw new Error(`must be at least ${minLength} printable ASCII characters without spaces (value not shown)`);
      return raw;
    },
  };
}

/**
 * Comma-separated server URLs with one of `schemes` (`host:port` alone means the first scheme), checked
 * at start-up so a typo joins the list of invalid settings instead of failing later in a client library.
 */
export function serverUrls(env: string, flag: string, description: string, schemes: readonly string[], defaultPort: number): Setting<string | undefined> {
  const example = schemes.map((s) => `${s}://host:${defaultPort}`).join(' or ');
  return {
    env, flag, description, defaultText: 'unset', defaultValue: undefined,
    parse(raw) {
      const entries = raw.split(',').map((u) => u.trim()).filter((u) => u !== '');
      if (entries.length === 0) return undefined;
      for (const entry of entries) {
        const url = URL.parse(entry.includes('://') ? entry : `${schemes[0]}://${entry}`);
        const scheme = url?.protocol.slice(0, -1);
        if (url === null || scheme === undefined || !schemes.includes(scheme) || url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
          throw new Error(`"${entry}" is not a server URL: use ${example}, several separated by commas`);
        }
      }
      return raw;
    },
  };
}
