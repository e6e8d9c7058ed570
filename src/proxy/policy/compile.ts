import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { RE2JS } from 're2js';

/**
 * Compiled forms of policy data (address lists, regexes), built once per operation object and kept in
 * a side cache keyed by that object: the route table stays plain data, and a new table (new objects)
 * compiles afresh while the old one is collected.
 */
export class CompileCache {
  private readonly cache = new WeakMap<object, unknown>();

  get<K extends object, V>(key: K, build: (key: K) => V): V {
    let v = this.cache.get(key) as V | undefined;
    if (v === undefined) {
      v = build(key);
      this.cache.set(key, v);
    }
    return v;
  }
}

/** CIDR list → BlockList. Translation validated every entry; one that still does not parse is skipped. */
export function compileRanges(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const slash = c.indexOf('/');
    const ip = slash === -1 ? c : c.slice(0, slash);
    const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
    if (family === undefined) continue;
    const bits = slash === -1 ? (family === 'ipv4' ? 32 : 128) : Number(c.slice(slash + 1));
    list.addSubnet(ip, bits, family);
  }
  return list;
}

export function inRanges(list: BlockList, ip: string): boolean {
  if (isIPv4(ip)) return list.check(ip, 'ipv4');
  if (isIPv6(ip)) return list.check(ip, 'ipv6');
  return false;
}

/** A linear-time regex (RE2 semantics): user patterns can never backtrack catastrophically. */
export function compileRegex(pattern: string, caseInsensitive: boolean): RE2JS {
  return RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
}

/** Matches `pattern` at the start of `input` (nginx `location ~*` with `^` implied by rewrite); groups 0..n. */
export function matchPrefix(re: RE2JS, input: string): string[] | undefined {
  const m = re.matcher(input);
  if (!m.lookingAt()) return undefined;
  const groups: string[] = [];
  for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i) ?? '');
  return groups;
}
