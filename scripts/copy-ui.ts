// Copies the web UI's static files (plain JS/CSS/HTML, no bundler) next to the compiled admin server,
// so dist/admin/web-ui.js finds them in dist/admin/ui exactly as src/admin/web-ui.ts finds src/admin/ui.
import { cpSync, rmSync } from 'node:fs';

const from = new URL('../src/admin/ui/', import.meta.url);
const to = new URL('../dist/admin/ui/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`copied web UI assets to ${to.pathname}`);
