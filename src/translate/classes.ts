import type { Ingress, IngressClass } from '../sources/object-set.ts';

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

export interface ClassOptions {
  readonly ingressClass: string;
  readonly controllerName: string;
}

/**
 * Decides which Ingresses are ours, in the order Kubernetes documents: `spec.ingressClassName` naming an
 * IngressClass whose controller is ours (or, when no IngressClass of that name exists, equal to our class
 * name); else the legacy annotation; else no class at all when our IngressClass is the default one.
 */
export function classFilter(classes: readonly IngressClass[], opts: ClassOptions): (ing: Ingress) => boolean {
  const existing = new Set(classes.map((c) => c.metadata.name));
  const ours = new Set(classes.filter((c) => c.spec?.controller === opts.controllerName).map((c) => c.metadata.name));
  const weAreDefault = classes.some(
    (c) => ours.has(c.metadata.name) && c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
  );
  const isOurClassName = (name: string) => ours.has(name) || (!existing.has(name) && name === opts.ingressClass);
  return (ing) => {
    const named = ing.spec?.ingressClassName;
    if (named !== undefined && named !== '') return isOurClassName(named);
    const legacy = ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
    if (legacy !== undefined && legacy !== '') return isOurClassName(legacy);
    return weAreDefault;
  };
}
