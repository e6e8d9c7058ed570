import { CoreV1Api, KubeConfig, type KubernetesObject, NetworkingV1Api } from '@kubernetes/client-node';
import { toConfigMap, toIngress, toIngressClass, toSecret } from '../sources/kubernetes/normalize.ts';
import { type ConfigMap, type ObjectSet, type Secret, emptyObjectSet } from '../sources/object-set.ts';

type Raw = KubernetesObject & Record<string, unknown>;

/** Annotation names (after the prefix) whose value names a Secret the report needs to judge them. */
const SECRET_ANNOTATIONS = ['auth-secret', 'proxy-ssl-secret', 'auth-tls-secret'];
/** …and whose value names a ConfigMap. */
const CONFIGMAP_ANNOTATIONS = ['custom-headers'];

/**
 * Reads what the migration report needs from a cluster, read-only: every Ingress and IngressClass, and
 * only the Secrets and ConfigMaps the annotations name (never all of the cluster's).
 */
export async function readCluster(kubeconfig: string, prefix: string): Promise<ObjectSet> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const net = kc.makeApiClient(NetworkingV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const ingresses = (await net.listIngressForAllNamespaces()).items.map((o) => toIngress(o as unknown as Raw));
  const ingressClasses = (await net.listIngressClass()).items.map((o) => toIngressClass(o as unknown as Raw));
  const named = (annotations: readonly string[]): Set<string> => {
    const wanted = new Set<string>();
    for (const ing of ingresses) {
      const ns = ing.metadata.namespace ?? 'default';
      for (const name of annotations) {
        for (const key of [`${prefix}/${name}`, `rauta.io/${name}`]) {
          const v = ing.metadata.annotations?.[key]?.trim();
          if (v !== undefined && /^([a-z0-9-]+\/)?[a-z0-9.-]+$/.test(v)) wanted.add(v.includes('/') ? v : `${ns}/${v}`);
        }
      }
    }
    return wanted;
  };
  const wanted = named(SECRET_ANNOTATIONS);
  const secrets: Secret[] = [];
  for (const ref of [...wanted].sort()) {
    const [namespace, name] = ref.split('/');
    try {
      secrets.push(toSecret((await core.readNamespacedSecret({ name, namespace })) as unknown as Raw));
    } catch {
      // Missing or not readable: the report says what that means for the annotation.
    }
  }
  const configMaps: ConfigMap[] = [];
  for (const ref of [...named(CONFIGMAP_ANNOTATIONS)].sort()) {
    const [namespace, name] = ref.split('/');
    try {
      configMaps.push(toConfigMap((await core.readNamespacedConfigMap({ name, namespace })) as unknown as Raw));
    } catch {
      // As for Secrets: the report says what a missing ConfigMap means.
    }
  }
  return { ...emptyObjectSet, ingresses, ingressClasses, secrets, configMaps };
}
