import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests } from '../sources/file/manifests.ts';
import type { ObjectSet } from '../sources/object-set.ts';

/** Largest manifest file the commands read (they are read whole). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** `-f FILE|DIR` (repeatable) → one ObjectSet, read like standalone mode reads its manifests. */
export async function readManifestInputs(paths: readonly string[]): Promise<ObjectSet> {
  const files: { name: string; text: string }[] = [];
  for (const p of paths) {
    const s = await stat(p);
    const names = s.isDirectory()
      ? (await readdir(p)).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith('.')).sort().map((n) => join(p, n))
      : [p];
    for (const name of names) {
      const st = await stat(name);
      if (st.size > MAX_FILE_BYTES) throw new Error(`${name} is larger than ${MAX_FILE_BYTES} bytes`);
      files.push({ name, text: await readFile(name, 'utf8') });
    }
  }
  return parseManifests(files);
}

export interface CommandArgs {
  readonly files: string[];
  readonly kubeconfig: string | undefined;
  readonly output: 'text' | 'json';
  readonly annotationsPrefix: string | undefined;
  readonly watchIngressNginx: boolean;
}

export class UsageError extends Error {}

/** The few flags `rauta migrate` and `rauta translate` take. */
export function parseCommandArgs(argv: readonly string[]): CommandArgs {
  const out: CommandArgs = { files: [], kubeconfig: undefined, output: 'text', annotationsPrefix: undefined, watchIngressNginx: false };
  const o = out as { -readonly [K in keyof CommandArgs]: CommandArgs[K] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-f': case '--filename': o.files.push(value()); break;
      case '--kubeconfig': o.kubeconfig = value(); break;
      case '-o': case '--output': {
        const v = value();
        if (v !== 'text' && v !== 'json') throw new UsageError(`--output must be text or json, not "${v}"`);
        o.output = v;
        break;
      }
      case '--annotations-prefix': o.annotationsPrefix = value(); break;
      case '--watch-ingress-nginx': o.watchIngressNginx = inline === undefined || inline === 'true'; break;
      default: throw new UsageError(`unknown argument "${argv[i]}"`);
    }
  }
  return out;
}
