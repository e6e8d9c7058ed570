import type { RouteTable } from '../../src/routing/route-table.ts';
import { parseManifests } from '../../src/sources/file/manifests.ts';
import { translate } from '../../src/translate/translate.ts';
import { type Obj, toYaml } from './manifests.ts';

export const CLASS_OPTIONS = { ingressClass: 'rauta', controllerName: 'rauta.io/ingress-controller' } as const;

/** Objects → YAML → the file source's parser → translate: the same path a manifest file takes. */
export function tableFrom(objects: readonly Obj[]): RouteTable {
  return translate(parseManifests([{ name: 'test.yaml', text: toYaml(objects) }]), CLASS_OPTIONS).table;
}

/** The Service a request would reach, `default` for the default backend, or undefined (404). */
export function routedTo(table: RouteTable, host: string | undefined, path: string): string | undefined {
  const route = table.match(host, path);
  if (route === undefined) return undefined;
  return route === table.defaultRoute ? `default:${route.backend.service}` : route.backend.service;
}
