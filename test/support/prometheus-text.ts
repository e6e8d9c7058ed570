import assert from 'node:assert/strict';
import { get } from './client.ts';

export interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the Prometheus text format (enough of it for test assertions). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of one series (labels matched exactly) from GET :admin/metrics; undefined when absent. */
export async function scrape(adminPort: number, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const samples = parsePrometheus((await get(adminPort, '/metrics')).body);
  return samples.find((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Scrapes until the series has `want` (bounded: 5 s: the machine may be loaded), then returns what it has last seen. */
export async function scrapeUntil(adminPort: number, name: string, labels: Record<string, string>, want: number): Promise<number | undefined> {
  const deadline = Date.now() + 5000;
  let got = await scrape(adminPort, name, labels);
  while (got !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    got = await scrape(adminPort, name, labels);
  }
  return got;
}
