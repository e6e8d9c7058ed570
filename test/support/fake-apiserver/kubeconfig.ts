import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** Writes a kubeconfig pointing at `server` (plain HTTP, a bearer token the fake server ignores). */
export async function writeKubeconfig(path: string, server: string, opts: { namespace?: string; token?: string } = {}): Promise<string> {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain HTTP unless TLS verification is (vacuously) switched off.
    clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token: opts.token ?? 'fake-token' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: opts.namespace ?? 'default' } }],
    'current-context': 'fake',
  };
  await writeFile(path, stringify(doc));
  return path;
}
