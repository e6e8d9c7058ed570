// `npm run docs`: writes the parts of docs/ that the code defines — the settings table
// (docs/configuration.md, from src/config/settings.ts) and the metrics table (docs/metrics.md, from the
// prom-client registry) — between `<!-- generated:NAME -->` and `<!-- end generated:NAME -->` markers.
// Everything outside the markers is prose and stays as written. test/docs-generated.test.ts fails when a
// doc differs from what this script would write, so a new setting or metric cannot go undocumented.
import { readFileSync, writeFileSync } from 'node:fs';
import { type SettingKey, settings } from '../src/config/settings.ts';
import { Metrics } from '../src/telemetry/sinks/metrics.ts';

const root = new URL('../', import.meta.url);
const SETTINGS_SOURCE = new URL('src/config/settings.ts', root);
export const GENERATED_DOCS = {
  settings: new URL('docs/configuration.md', root),
  metrics: new URL('docs/metrics.md', root),
} as const;

/** Markdown table cells: `|` would end the cell and a newline the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/**
 * The `// ── Section ──` comments of settings.ts group the settings; the generated table keeps those
 * groups (a setting above the first such comment is in "General").
 */
export function settingSections(source: string): Map<SettingKey, string> {
  const sections = new Map<SettingKey, string>();
  let current = 'General';
  for (const line of source.split('\n')) {
    const heading = /^\s*\/\/ ── (.+?) ──\s*$/.exec(line);
    if (heading) { current = heading[1]; continue; }
    const key = /^\s*([a-zA-Z][a-zA-Z0-9]*):\s*[a-zA-Z]+\(/.exec(line)?.[1];
    if (key !== undefined && key in settings) sections.set(key as SettingKey, current);
  }
  return sections;
}

export function renderSettings(source = readFileSync(SETTINGS_SOURCE, 'utf8')): string {
  const sections = settingSections(source);
  const groups = new Map<string, SettingKey[]>();
  for (const key of Object.keys(settings) as SettingKey[]) {
    const section = sections.get(key) ?? 'General';
    groups.set(section, [...(groups.get(section) ?? []), key]);
  }
  const out: string[] = [];
  for (const [section, keys] of groups) {
    out.push(`### ${section}`, '', '| env | flag | default | meaning |', '|---|---|---|---|');
    for (const key of keys) {
      const s = settings[key];
      out.push(`| \`${s.env}\` | \`${s.flag}\` | ${cell(s.defaultText)} | ${cell(s.description)} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export async function renderMetrics(): Promise<string> {
  const metrics = new Metrics();
  const out = ['| metric | type | labels | meaning |', '|---|---|---|---|'];
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    if (!m.name.startsWith('rauta_')) continue;
    const labels = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    out.push(`| \`${m.name}\` | ${m.type} | ${labels.length === 0 ? '—' : labels.map((l) => `\`${l}\``).join(', ')} | ${cell(m.help)} |`);
  }
  return out.join('\n');
}

/** `doc` with the block between the NAME markers replaced by `body`; throws when the markers are missing. */
export function spliceGenerated(doc: string, name: string, body: string): string {
  const start = `<!-- generated:${name} (npm run docs) -->`;
  const end = `<!-- end generated:${name} -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i === -1 || j === -1 || j < i) throw new Error(`the doc has no "${start}" … "${end}" markers`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}

/** Every generated doc as it should read: [file, current text, expected text]. */
export async function generatedDocs(): Promise<[URL, string, string][]> {
  const bodies = { settings: renderSettings(), metrics: await renderMetrics() };
  return (Object.keys(GENERATED_DOCS) as (keyof typeof GENERATED_DOCS)[]).map((name) => {
    const file = GENERATED_DOCS[name];
    const current = readFileSync(file, 'utf8');
    return [file, current, spliceGenerated(current, name, bodies[name])];
  });
}

if (import.meta.main) {
  for (const [file, current, expected] of await generatedDocs()) {
    if (current === expected) {
      console.log(`docs: ${file.pathname.slice(root.pathname.length)} is up to date`);
    } else {
      writeFileSync(file, expected);
      console.log(`docs: wrote ${file.pathname.slice(root.pathname.length)}`);
    }
  }
}
