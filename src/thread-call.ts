import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread that answers one request at a time (the manifest parser, the translation thread).
 * It starts on the first call; a thread that dies fails the call in flight and is started afresh on
 * the next one (`onStart` lets the owner forget what the old thread knew). An idle thread does not keep
 * the process alive.
 */
export class ThreadCall<Request, Reply extends { readonly id: number }> {
  private readonly url: URL;
  /** Names the thread in errors: "<what> exited with code 1". */
  private readonly what: string;
  private readonly workerData: unknown;
  private readonly onStart: () => void;
  private worker: Worker | undefined;
  private nextId = 1;
  private pending: { id: number; resolve: (r: Reply) => void; reject: (err: Error) => void } | undefined;

  constructor(url: URL, what: string, opts: { workerData?: unknown; onStart?: () => void } = {}) {
    this.url = url;
    this.what = what;
    this.workerData = opts.workerData;
    this.onStart = opts.onStart ?? (() => {});
  }

  /** Sends the request `build` makes for this call's id; resolves with the reply of the same id. */
  call(build: (id: number) => Request): Promise<Reply> {
    if (this.pending !== undefined) return Promise.reject(new Error(`${this.what}: a request is already running`));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      worker.ref(); // a request in flight keeps the process alive; an idle thread does not
      worker.postMessage(build(id));
    });
  }

  /** Ends the thread without failing anything (both sides lost step): the next call starts a new one. */
  restart(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error(`${this.what} closed`));
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(this.url, { workerData: this.workerData });
    this.onStart();
    worker.on('message', (reply: Reply) => this.onReply(reply));
    worker.on('error', (err) => this.onExit(worker, err));
    worker.on('exit', (code) => this.onExit(worker, new Error(`${this.what} exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: Reply): void {
    const p = this.pending;
    if (p === undefined || p.id !== reply.id) return;
    this.pending = undefined;
    this.worker?.unref();
    p.resolve(reply);
  }

  private onExit(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.fail(err);
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }
}

/** The URL of a thread's module next to `base`, in the extension the running code has (.ts or .js). */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/**
 * Called inside a control-plane thread (parsing, translation): it only ever competes with request
 * handling for the CPU, so request handling wins (nice 10). On Linux a thread's nice value is its own;
 * where it cannot be set, the thread runs at the normal priority.
 */
export function yieldToRequestHandling(): void {
  try {
    setPriority(10);
  } catch {
    // not permitted here
  }
}
