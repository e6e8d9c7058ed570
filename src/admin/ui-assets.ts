import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

/** The files of the web UI, next to this module in `ui/` (src/admin/ui when run from source, dist/admin/ui once built). */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'plots.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
  'vendor/uplot.js': 'text/javascript; charset=utf-8',
  'vendor/uplot.css': 'text/css; charset=utf-8',
};

/**
 * The charting library (uPlot, MIT): `npm run build` copies it into dist/admin/ui/vendor (scripts/copy-ui.ts),
 * so a built RAUTA serves it without node_modules; run from source it is read from the package.
 */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  'vendor/uplot.js': 'uplot/dist/uPlot.esm.js',
  'vendor/uplot.css': 'uplot/dist/uPlot.min.css',
};

function vendorFallback(name: string): Buffer | undefined {
  const spec = VENDOR_FILES[name];
  if (spec === undefined) return undefined;
  try {
    return readFileSync(createRequire(import.meta.url).resolve(spec));
  } catch {
    return undefined;
  }
}

/**
 * Only same-origin scripts, styles and connections; no inline script, no framing. The page builds its
 * DOM with textContent, never innerHTML, so event data from the network cannot inject markup either.
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

interface Asset { readonly body: Buffer; readonly type: string }

/** Loads the UI files once at start-up (they are a few KB); missing files are reported, not fatal. */
export class UiAssets {
  private readonly assets = new Map<string, Asset>();
  readonly missing: string[] = [];

  constructor(dir: URL = new URL('./ui/', import.meta.url)) {
    for (const [name, type] of Object.entries(FILES)) {
      try {
        this.assets.set(name, { body: readFileSync(new URL(name, dir)), type });
      } catch {
        const vendored = vendorFallback(name);
        if (vendored !== undefined) this.assets.set(name, { body: vendored, type });
        else this.missing.push(name);
      }
    }
  }

  send(res: ServerResponse, name: string, head: boolean): void {
    const asset = this.assets.get(name);
    if (!asset) {
      // Own keys only: `__proto__` or `constructor` must be a 404 like any other unknown name.
      const known = Object.hasOwn(FILES, name);
      const body = known ? `web UI asset ${name} is missing from this build (npm run build copies src/admin/ui to dist/admin/ui)\n` : `no UI asset ${name}\n`;
      res.writeHead(known ? 500 : 404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...UI_SECURITY_HEADERS });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'no-cache', ...UI_SECURITY_HEADERS });
    res.end(head ? undefined : asset.body);
  }
}
