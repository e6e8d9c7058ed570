import { parentPort, workerData } from 'node:worker_threads';
import { generate } from 'selfsigned';

/**
 * Makes the start-up certificate in a thread that exits right after: selfsigned and its ASN.1/X.509
 * modules (~200 of them) would otherwise stay loaded in every process for the one call at start.
 */
const now = new Date(workerData as number);
const pems = await generate([{ name: 'commonName', value: 'RAUTA Default Certificate' }], {
  keyType: 'ec',
  curve: 'P-256',
  algorithm: 'sha256',
  notBeforeDate: new Date(now.getTime() - 60_000),
  notAfterDate: new Date(now.getTime() + 365 * 24 * 3600_000),
  extensions: [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'rauta.invalid' }] },
  ],
});
parentPort?.postMessage({ cert: pems.cert, key: pems.private });
