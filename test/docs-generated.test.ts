import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatedDocs, renderSettings, settingSections, spliceGenerated } from '../scripts/gen-docs.ts';
import { settings } from '../src/config/settings.ts';

// The settings and metrics tables in docs/ are generated from the code. When this fails, run
// `npm run docs` and commit the result.

describe('docs - generated tables are up to date', () => {
  it('docs/configuration.md and docs/metrics.md are exactly what `npm run docs` writes', async () => {
    const docs = await generatedDocs();
    assert.equal(docs.length, 2);
    for (const [file, current, expected] of docs) {
      assert.ok(current === expected, `${file.pathname} is out of date: run \`npm run docs\` and commit the result`);
    }
  });

  it('the settings table has one row per setting, grouped by the section comments of settings.ts', () => {
    const table = renderSettings();
    for (const s of Object.values(settings)) {
      assert.equal(table.split('\n').filter((l) => l.startsWith(`| \`${s.env}\` |`)).length, 1, s.env);
    }
    const sections = settingSections("  httpPort: port('A', '--a', 1, 'x'),\n  // ── Telemetry: events ──\n  natsUrl: optional('B', '--b', 'y'),\n");
    assert.deepEqual([...sections], [['httpPort', 'General'], ['natsUrl', 'Telemetry: events']]);
  });

  it('splices between the markers only, and refuses a doc without them', () => {
    const doc = 'intro\n<!-- generated:x (npm run docs) -->\nold\n<!-- end generated:x -->\noutro\n';
    assert.equal(spliceGenerated(doc, 'x', 'new'), 'intro\n<!-- generated:x (npm run docs) -->\nnew\n<!-- end generated:x -->\noutro\n');
    assert.throws(() => spliceGenerated('no markers', 'x', 'new'), /markers/);
  });
});
