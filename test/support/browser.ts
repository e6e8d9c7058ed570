import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { requireTool } from '../../scripts/system-tools.ts';

/** Screenshots are CI artifacts, never committed. */
export const SCREENSHOT_DIR = join(tmpdir(), 'rauta-ui-screenshots');

export interface UiBrowser {
  readonly browser: Browser;
  /** A fresh context (own cookies) and page; every console error and page error is collected. */
  open(opts?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<UiPage>;
  close(): Promise<void>;
}

export interface UiPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly consoleErrors: string[];
  screenshot(name: string): Promise<string>;
}

/** Launches the system Chromium headless; fails with the install command when it is missing. */
export async function launchBrowser(): Promise<UiBrowser> {
  const executablePath = requireTool('chromium');
  // launch() always gives Chromium a fresh temporary --user-data-dir of its own and deletes it on
  // close (it refuses the flag in args); each open() below is a further isolated context.
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async open(opts = {}) {
      const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, colorScheme: opts.colorScheme ?? 'light' });
      contexts.push(context);
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url})`);
      });
      page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
      return {
        page,
        context,
        consoleErrors,
        async screenshot(name) {
          const path = join(SCREENSHOT_DIR, `${name}.png`);
          await page.screenshot({ path, fullPage: true });
          return path;
        },
      };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
    },
  };
}
