// Copies the web UI's static files (plain JS/CSS/HTML, no bundler) next to the compiled admin server,
// so dist/admin/web-ui.js finds them in dist/admin/ui exactly as src/admin/web-ui.ts finds src/admin/ui,
// and bundles the charting library (uPlot) into dist/admin/ui/vendor: the page loads nothing from a CDN.
import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { VENDOR_FILES } from '../src/admin/ui-assets.ts';

const from = new URL('../src/admin/ui/', import.meta.url);
const to = new URL('../dist/admin/ui/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
const require = createRequire(import.meta.url);
mkdirSync(new URL('vendor/', to), { recursive: true });
for (const [name, spec] of Object.entries(VENDOR_FILES)) copyFileSync(require.resolve(spec), fileURLToPath(new URL(name, to)));
console.log(`copied web UI assets to ${to.pathname}`);
