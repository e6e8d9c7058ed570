import { type FSWatcher, watch } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ObjectSet, OnRejected, Source } from '../object-set.ts';
import { ManifestParser } from './manifest-parser.ts';
import { ManifestError } from './manifests.ts';

export interface FileSourceOptions {
  readonly path: string;
  readonly logger: Logger;
  /** How often to look at modification times, in case the platform's file events are missed. */
  readonly pollMs?: number;
  /** Hold-off after a change before reading (RAUTA_CONFIG_DEBOUNCE_MS). */
  readonly debounceMs?: number;
  /** Longest a read waits while changes keep coming (RAUTA_CONFIG_MAX_DEBOUNCE_MS). */
  readonly maxDebounceMs?: number;
  /** Called when a changed manifest set does not parse (not at start-up: there the error fails start). */
  readonly onRejected?: OnRejected;
}

interface Stamped {
  readonly files: string[];
  /** Identity, size and mtime of every file: equal stamps mean nothing changed. */
  readonly stamp: string;
  /** The same, per file. */
  readonly entries: string[];
  readonly sizes: number[];
  readonly hasEmpty: boolean;
}

/** True when the file's last byte is a line feed (read alone: the text itself stays with the parse worker). */
async function endsWithNewline(path: string, size: number): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return bytesRead === 1 && buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/**
 * Standalone mode: manifests from a YAML file or a folder of them. Watches the parent folder rather
 * than the file, because editors and `kubectl`-style tools replace files by renaming a new one over
 * them, which ends a watch on the old inode. A stat poll backs the watcher up (it also catches
 * ConfigMap mounts, which swap a `..data` symlink rather than touch the file).
 *
 * A file rewritten in place is briefly empty or half-written: a read is only used when the files did
 * not change while being read, an empty file must still be empty one hold-off later (a
 * truncate-then-write never serves an empty table), and a file that does not end with a line break must
 * stay the same for the longest hold-off (a writer that paused mid-file is not taken at its word).
 */
export class FileSource implements Source {
  private readonly path: string;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly debounceMs: number;
  private readonly maxDebounceMs: number;
  private readonly onRejected: OnRejected;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private firstPendingAt: number | undefined;
  private lastStamp = '';
  private lastEntries = new Set<string>();
  private emptyStamp = '';
  /** A read whose text did not end with a line break, and since when that stamp is unchanged. */
  private unterminated = { stamp: '', since: 0 };
  private stopped = false;
  private onSnapshot: (objects: ObjectSet) => void = () => {};
  private loading: Promise<void> = Promise.resolve();
  private readonly parser = new ManifestParser();
  synced = false;

  constructor(opts: FileSourceOptions) {
    this.path = resolve(opts.path);
    this.logger = opts.logger.child({ source: 'file', path: this.path });
    this.pollMs = opts.pollMs ?? 500;
    this.debounceMs = opts.debounceMs ?? 100;
    this.maxDebounceMs = Math.max(opts.maxDebounceMs ?? 1000, this.debounceMs);
    this.onRejected = opts.onRejected ?? (() => {});
  }

  async start(onSnapshot: (objects: ObjectSet) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    const info = await stat(this.path).catch((err: NodeJS.ErrnoException) => {
      // A missing path fails start-up, in RAUTA's words and naming the setting.
      const why = err.code === 'ENOENT' ? 'no such file or folder' : err.code === 'EACCES' ? 'permission denied' : err.message;
      throw new ManifestError(`--config (RAUTA_CONFIG) ${this.path}: ${why}`, { cause: err });
    });
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
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    await this.parser.close(); // a long parse in flight must not hold up shutdown
    await this.loading;
  }

  /** Debounced, with a maximum hold-off so a file that keeps changing is still read every so often. */
  private schedule(delayMs = this.debounceMs): void {
    if (this.stopped) return;
    const now = Date.now();
    this.firstPendingAt ??= now;
    clearTimeout(this.debounce);
    const wait = Math.max(0, Math.min(delayMs, this.firstPendingAt + this.maxDebounceMs - now));
    this.debounce = setTimeout(() => {
      this.firstPendingAt = undefined;
      this.loading = this.loading
        .then(() => this.reload(false))
        .catch((err: unknown) => this.logger.error({ err }, 'reading manifests failed; keeping the last good routes'));
    }, wait);
  }

  private async files(): Promise<string[]> {
    const info = await stat(this.path);
    if (!info.isDirectory()) return [this.path];
    const names = (await readdir(this.path)).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith('.')).sort();
    return names.map((n) => join(this.path, n));
  }

  private async stampOf(files: string[]): Promise<Stamped> {
    const stats = await Promise.all(files.map((f) => stat(f)));
    const entries = files.map((f, i) => `${f}:${stats[i].ino}:${stats[i].size}:${stats[i].mtimeMs}`);
    return {
      files,
      stamp: entries.join('|'),
      entries,
      sizes: stats.map((s) => s.size),
      hasEmpty: stats.some((s) => s.size === 0),
    };
  }

  /**
   * Reads and parses everything, but only when some file's identity, size or mtime changed. The parse
   * worker reads the files itself: a manifest of 10,000 Ingresses is megabytes of text that the event
   * loop serving requests would otherwise read, decode and copy over to the worker.
   */
  private async reload(first: boolean): Promise<void> {
    let before: Stamped;
    let unterminated = false;
    try {
      before = await this.stampOf(await this.files());
      if (before.stamp === this.lastStamp) return;
      if (!first && before.hasEmpty && this.emptyStamp !== before.stamp) {
        this.emptyStamp = before.stamp;
        this.schedule();
        return;
      }
      // A changed YAML file that does not end with a line break was most likely caught half-written
      // (editors, kubectl and generators end files with one), even when it stood still for one hold-off.
      // JSON cut short never parses, so only YAML files are held back.
      if (!first) {
        for (const [i, f] of before.files.entries()) {
          if (this.lastEntries.has(before.entries[i]) || f.endsWith('.json') || before.sizes[i] === 0) continue;
          if (!(await endsWithNewline(f, before.sizes[i]))) unterminated = true;
        }
      }
    } catch (err) {
      if (first) throw err;
      // A file renamed away and not yet replaced, a permission change…: try again on the next event.
      this.logger.error({ err: (err as Error).message }, 'cannot read manifests; keeping the last good routes');
      return;
    }
    // It is used only once it has stayed the same for the longest hold-off (RAUTA_CONFIG_MAX_DEBOUNCE_MS).
    if (unterminated) {
      const now = Date.now();
      if (this.unterminated.stamp !== before.stamp) this.unterminated = { stamp: before.stamp, since: now };
      const waited = now - this.unterminated.since;
      if (waited < this.maxDebounceMs) {
        this.schedule(this.maxDebounceMs - waited);
        return;
      }
    }
    let parsed: { readonly objects: ObjectSet; readonly parsed: number; readonly reused: number } | undefined;
    let failure: unknown;
    try {
      // In a worker: parsing a large file takes seconds that the proxy's event loop must not lose.
      parsed = await this.parser.parse(before.files.map((name) => ({ name })));
    } catch (err) {
      failure = err;
    }
    if (this.stopped) return;
    try {
      const after = await this.stampOf(before.files);
      if (after.stamp !== before.stamp) {
        this.schedule(); // changed while being read: read again once it settles
        return;
      }
    } catch (err) {
      if (first) throw err;
      this.logger.error({ err: (err as Error).message }, 'cannot read manifests; keeping the last good routes');
      return;
    }
    this.lastStamp = before.stamp;
    this.lastEntries = new Set(before.entries);
    if (parsed === undefined) {
      const err = failure;
      if (first) throw err;
      if (!(err instanceof ManifestError)) {
        // The parse worker died (out of memory…) or a file could not be read: read them again later.
        this.lastStamp = '';
        this.lastEntries = new Set();
        this.logger.error({ err }, 'parsing manifests failed; keeping the last good routes and trying again');
        return;
      }
      this.logger.error({ err: err.message }, 'manifests rejected; keeping the last good routes');
      // Shown in /routes, /api/summary and the web UI until the files parse again.
      this.onRejected({ source: 'file', code: err.code, message: err.message });
      return;
    }
    const objects = parsed.objects;
    this.logger.debug({ parsed: parsed.parsed, reused: parsed.reused }, 'manifests parsed');
    if (this.stopped) return;
    for (const p of objects.problems) this.logger.error({ origin: p.origin, kind: p.kind, name: p.name, field: p.field }, `invalid object skipped: ${p.message}`);
    this.synced = true;
    this.onSnapshot(objects);
  }
}
