import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { PemPair } from './certificate-store.ts';

/**
 * The certificate served for unknown SNI when RAUTA_DEFAULT_CERTIFICATE is unset (or its Secret is
 * missing): made fresh at every start (once per pod: the primary hands it to its workers), valid for a
 * year, never trusted by anyone — like the "fake certificate" other ingress controllers serve.
 *
 * `thread`: made in a thread that exits right after, so selfsigned's ~200 modules do not stay loaded
 * (the primary of several workers, which makes it while the workers start). A single process makes it
 * in place: a thread's start-up would delay its listening by up to seconds on a busy machine.
 */
export async function selfSignedCertificate(opts: { readonly now?: Date; readonly thread?: boolean } = {}): Promise<PemPair> {
  const now = opts.now ?? new Date();
  if (opts.thread !== true) return (await import('./self-signed-make.ts')).makeSelfSigned(now);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = new Worker(new URL(`./self-signed-worker${ext}`, import.meta.url), { workerData: now.getTime(), resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  try {
    const [pem] = (await Promise.race([
      once(worker, 'message'),
      once(worker, 'error').then(([err]) => Promise.reject(err as Error)),
      once(worker, 'exit').then(([code]) => Promise.reject(new Error(`self-signed certificate thread exited with code ${code as number}`))),
    ])) as [PemPair];
    return pem;
  } finally {
    void worker.terminate();
  }
}
