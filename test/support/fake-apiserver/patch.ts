/**
 * The patch formats clients send: JSON merge patch (RFC 7386), strategic merge patch (approximated as a
 * merge patch that drops `$`-directives: enough for Ingress, Service, Lease and EndpointSlice, whose lists
 * are replaced as a whole), and JSON patch (RFC 6902).
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class PatchError extends Error {}

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function mergePatch(target: Json | undefined, patch: Json, strategic = false): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (strategic && k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, strategic);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`bad JSON pointer ${path}`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

interface Op { op: string; path: string; value?: Json; from?: string }

export function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch is an array of operations');
  let root: Json = structuredClone(doc);
  for (const raw of ops as unknown as Op[]) {
    const parts = pointer(raw.path);
    const get = (p: string[]): Json | undefined => {
      let cur: Json | undefined = root;
      for (const k of p) cur = Array.isArray(cur) ? cur[Number(k)] : isObject(cur) ? cur[k] : undefined;
      return cur;
    };
    const parentOf = (p: string[]) => {
      const parent = get(p.slice(0, -1));
      if (parent === undefined || parent === null || typeof parent !== 'object') throw new PatchError(`path ${raw.path} does not exist`);
      return parent;
    };
    const set = (p: string[], value: Json, insert: boolean) => {
      if (p.length === 0) { root = value; return; }
      const parent = parentOf(p);
      const key = p[p.length - 1];
      if (Array.isArray(parent)) {
        const i = key === '-' ? parent.length : Number(key);
        if (insert) parent.splice(i, 0, value);
        else parent[i] = value;
      } else parent[key] = value;
    };
    const remove = (p: string[]) => {
      const parent = parentOf(p);
      const key = p[p.length - 1];
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (key in parent) delete parent[key];
      else throw new PatchError(`path ${raw.path} does not exist`);
    };
    switch (raw.op) {
      case 'add': set(parts, raw.value ?? null, true); break;
      case 'replace': if (get(parts) === undefined) throw new PatchError(`path ${raw.path} does not exist`); set(parts, raw.value ?? null, false); break;
      case 'remove': remove(parts); break;
      case 'test': if (JSON.stringify(get(parts)) !== JSON.stringify(raw.value)) throw new PatchError(`test failed at ${raw.path}`); break;
      case 'copy': case 'move': {
        const from = pointer(raw.from ?? '');
        const value = structuredClone(get(from));
        if (value === undefined) throw new PatchError(`path ${raw.from} does not exist`);
        if (raw.op === 'move') remove(from);
        set(parts, value, true);
        break;
      }
      default: throw new PatchError(`unknown JSON patch op ${raw.op}`);
    }
  }
  return root;
}
