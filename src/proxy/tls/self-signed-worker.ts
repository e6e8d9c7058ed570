import { parentPort, workerData } from 'node:worker_threads';
import { makeSelfSigned } from './self-signed-make.ts';

/** Makes the start-up certificate in a thread that exits right after (self-signed.ts). */
parentPort?.postMessage(await makeSelfSigned(new Date(workerData as number)));
