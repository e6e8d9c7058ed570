import { KubeConfig } from '@kubernetes/client-node';

/** `--kubeconfig`/`KUBECONFIG` when given, else the pod's service account (in-cluster config). */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) kc.loadFromFile(path.split(':')[0]);
  else kc.loadFromCluster();
  return kc;
}
