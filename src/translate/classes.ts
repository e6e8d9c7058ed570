import type { Ingress, IngressClass } from '../sources/object-set.ts';

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** ingress-nginx's controller name and class name (`RAUTA_WATCH_INGRESS_NGINX` serves them too). */
export const INGRESS_NGINX_CONTROLLER = 'k8s.io/ingress-nginx';
export const INGRESS_NGINX_CLASS = 'nginx';

export interface ClassOptions {
  readonly ingressClass: string;
  readonly controllerName: string;
  /** Also serve Ingresses of ingress-nginx's class (a cluster switches by moving one Deployment). */
  readonly watchIngressNginx?: boolean;
}

export type IngressKind = 'rauta' | 'nginx';

/**
 * Decides which Ingresses are ours, in the order Kubernetes documents: `spec.ingressClassName` naming an
 * IngressClass whose controller is ours (or, when no IngressClass of that name exists, equal to our class
 * name); else the legacy annotation; else no class at all when our IngressClass is the default one.
 * With `watchIngressNginx`, ingress-nginx's class counts the same way and is told apart (its Ingresses
 * get ingress-nginx's defaults).
 */
export function classifier(classes: readonly IngressClass[], opts: ClassOptions): (ing: Ingress) => IngressKind | undefined {
  const existing = new Set(classes.map((c) => c.metadata.name));
  const ours = new Set(classes.filter((c) => c.spec?.controller === opts.controllerName).map((c) => c.metadata.name));
  const nginx = new Set(opts.watchIngressNginx ? classes.filter((c) => c.spec?.controller === INGRESS_NGINX_CONTROLLER).map((c) => c.metadata.name) : []);
  const isDefault = (c: IngressClass) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';
  const defaultKind: IngressKind | undefined = classes.some((c) => ours.has(c.metadata.name) && isDefault(c))
    ? 'rauta'
    : classes.some((c) => nginx.has(c.metadata.name) && isDefault(c)) ? 'nginx' : undefined;
  const kindOf = (name: string): IngressKind | undefined => {
    if (ours.has(name) || (!existing.has(name) && name === opts.ingressClass)) return 'rauta';
    if (nginx.has(name) || (opts.watchIngressNginx && !existing.has(name) && name === INGRESS_NGINX_CLASS)) return 'nginx';
    return undefined;
  };
  return (ing) => {
    const named = ing.spec?.ingressClassName;
    if (named !== undefined && named !== '') return kindOf(named);
    const legacy = ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
    if (legacy !== undefined && legacy !== '') return kindOf(legacy);
    return defaultKind;
  };
}

export function classFilter(classes: readonly IngressClass[], opts: ClassOptions): (ing: Ingress) => boolean {
  const kind = classifier(classes, opts);
  return (ing) => kind(ing) !== undefined;
}
