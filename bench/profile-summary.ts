import { readFileSync } from 'node:fs';

/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): top functions by self time, and self time
 * per source file. Usage: node bench/profile-summary.ts FILE.cpuprofile [TOP]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly percent: number;
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + 14);
  return url.replace(/^file:\/\//, '');
}

/** Coarse owner of a frame, so the summary says whose code the time goes to. */
function area(url: string, name: string): string {
  if (url === '') return name === '(garbage collector)' ? 'GC' : name === '(idle)' ? 'idle' : 'native (syscalls, V8 builtins)';
  if (url.includes('/dist/telemetry/')) return 'rauta telemetry (dist/telemetry)';
  if (url.includes('/dist/')) return 'rauta proxy and routing (dist/)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 14).split('/');
    const pkg = rest[0].startsWith('@') ? rest[0] : rest[0];
    return pkg === 'undici' ? 'undici' : pkg.startsWith('@opentelemetry') ? '@opentelemetry/*' : pkg;
  }
  if (url.startsWith('node:_http') || url.startsWith('node:http')) return 'node:http';
  if (url.startsWith('node:')) return 'node: other (net, streams, events, timers)';
  return 'other';
}

export function summarizeProfile(path: string, top = 25): { total: number; functions: ProfileRow[]; files: ProfileRow[]; areas: ProfileRow[] } {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const where = `${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    const name = n.callFrame.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const row = fn.get(key) ?? { name, where, us: 0 };
    row.us += us;
    fn.set(key, row);
    const file = shortUrl(n.callFrame.url);
    files.set(file, (files.get(file) ?? 0) + us);
    const a = area(n.callFrame.url, name);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const rows = (xs: Iterable<{ name: string; where: string; us: number }>, limit = top) =>
    [...xs].sort((a, b) => b.us - a.us).slice(0, limit).map((r) => ({ name: r.name, where: r.where, selfMs: r.us / 1000, percent: (100 * r.us) / total }));
  return {
    total: total / 1000,
    functions: rows(fn.values()),
    files: rows([...files].map(([file, us]) => ({ name: file, where: '', us }))),
    areas: rows([...areas].map(([a, us]) => ({ name: a, where: '', us })), 100),
  };
}

export function formatSummary(s: ReturnType<typeof summarizeProfile>): string {
  const lines = [`total sampled: ${s.total.toFixed(0)} ms`, 'self time by owner:'];
  for (const r of s.areas) lines.push(`  ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`);
  lines.push('top self time by function:');
  for (const r of s.functions) lines.push(`  ${r.percent.toFixed(1).padStart(5)}%  ${r.name}  ${r.where}`);
  lines.push('self time by file:');
  for (const r of s.files.slice(0, 15)) lines.push(`  ${r.percent.toFixed(1).padStart(5)}%  ${r.name}`);
  return lines.join('\n');
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.ts FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summarizeProfile(file, Number(process.argv[3] ?? 25)))}\n`);
}
