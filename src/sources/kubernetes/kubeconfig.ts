import { KubeConfig } from '@kubernetes/client-node';
import { RautaError } from '../../errors.ts';

export class KubeConfigError extends RautaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAUTA_ERR_NO_CLUSTER', message, options);
  }
}

/**
 * `--kubeconfig`/`KUBECONFIG` when given (the first file of a `:`-separated list), else the pod's service
 * account (in-cluster config). Outside a pod with neither, start-up fails with a message saying so rather
 * than retrying a meaningless address forever.
 */
export function loadKubeConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) {
    kc.loadFromFile(path.split(':')[0]);
    return kc;
  }
  if (!env.KUBERNETES_SERVICE_HOST) {
    throw new KubeConfigError('no cluster to talk to: pass --config FILE (standalone mode), or --kubeconfig FILE / KUBECONFIG, or run in a pod (in-cluster config)');
  }
  kc.loadFromCluster();
  return kc;
}
