import type { Logger } from 'pino';
import type { Config } from '../config/settings.ts';
import { KubernetesSource } from '../sources/kubernetes/kubernetes-source.ts';
import { loadKubeConfig } from '../sources/kubernetes/kubeconfig.ts';
import { StatusController } from '../status/status-controller.ts';

/** Kubernetes mode's two halves: the informer source (every replica) and the status writer (leader only). */
export interface KubernetesMode {
  readonly source: KubernetesSource;
  readonly status: StatusController;
}

export function kubernetesMode(config: Config, logger: Logger): KubernetesMode {
  const kc = loadKubeConfig(config.kubeconfig);
  const source = new KubernetesSource({
    kubeConfig: kc,
    namespaces: config.watchNamespaces,
    debounceMs: config.configDebounceMs,
    maxDebounceMs: config.configMaxDebounceMs,
    logger,
  });
  return { source, status: new StatusController(kc, config, logger) };
}
