import { type FSWatcher, watch } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ObjectSet, OnRejected, Source } from '../object-set.ts';
import { ManifestError, parseManifests } from './manifests.ts';

export interface FileSourceOptions {
  readonly path: string;
  readonly logger: Logger;
  /** How often to look at modification times, in case the platform's file events are missed. */
  readonly pollMs?: number;
  readonly debounceMs?: number;
  /** Called when a changed manifest set does not parse (not at start-up: there the error fails start). */
  readonly onRejected?: OnRejected;
}

/**
 * Standalone mode: manifests from a YAML file or a folder of them. Watches the parent folder rather
 * than the file, because editors and `kubectl`-style tools replace files by renaming a new one over
 * them, which ends a watch on the old inode. A stat poll backs the watcher up.
 */
export class FileSource implements Source {
  private readonly path: string;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly debounceMs: number;
  private readonly onRejected: OnRejected;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastStamp = '';
  private onSnapshot: (objects: ObjectSet) => void = () => {};
  private loading: Promise<void> = Promise.resolve();
  synced = false;

  constructor(opts: FileSourceOptions) {
    this.path = resolve(opts.path);
    this.logger = opts.logger.child({ source: 'file', path: this.path });
    this.pollMs = opts.pollMs ?? 500;
    this.debounceMs = opts.debounceMs ?? 50;
    this.onRejected = opts.onRejected ?? (() => {});
  }

  async start(onSnapshot: (objects: ObjectSet) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    const info = await stat(this.path); // a missing path fails start-up, with the path in the message
    const dir = info.isDirectory() ? this.path : dirname(this.path);
    await this.reload(true);
    this.watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (info.isDirectory() || name === null || name === basename(this.path)) this.schedule();
    });
    this.watcher.on('error', (err) => this.logger.warn({ err }, 'file watch failed; relying on polling'));
    this.poller = setInterval(() => this.schedule(), this.pollMs);
    this.poller.unref();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    await this.loading;
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.loading = this.loading.then(() => this.reload(false));
    }, this.debounceMs);
  }

  private async files(): Promise<string[]> {
    const info = await stat(this.path);
    if (!info.isDirectory()) return [this.path];
    const names = (await readdir(this.path)).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith('.')).sort();
    return names.map((n) => join(this.path, n));
  }

  /** Reads and parses everything, but only when some file's identity, size or mtime changed. */
  private async reload(first: boolean): Promise<void> {
    let files: string[];
    let stamp: string;
    try {
      files = await this.files();
      const stats = await Promise.all(files.map((f) => stat(f)));
      stamp = files.map((f, i) => `${f}:${stats[i].ino}:${stats[i].size}:${stats[i].mtimeMs}`).join('|');
    } catch (err) {
      if (first) throw err;
      this.logger.error({ err: (err as Error).message }, 'cannot read manifests; keeping the last good routes');
      return;
    }
    if (stamp === this.lastStamp) return;
    this.lastStamp = stamp;
    try {
      const texts = await Promise.all(files.map(async (f) => ({ name: f, text: await readFile(f, 'utf8') })));
      const objects = parseManifests(texts);
      for (const p of objects.problems) this.logger.error({ origin: p.origin, kind: p.kind, name: p.name, field: p.field }, `invalid object skipped: ${p.message}`);
      this.synced = true;
      this.onSnapshot(objects);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      if (first) throw err;
      this.logger.error({ err: err.message }, 'manifests rejected; keeping the last good routes');
      this.onRejected({ source: 'file', message: err.message });
    }
  }
}
