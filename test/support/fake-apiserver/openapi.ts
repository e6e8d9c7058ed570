import { RESOURCE_TYPES, type ResourceType, apiVersionOf } from './resources.ts';

/**
 * Just enough OpenAPI v3 for `kubectl apply` to validate: one permissive schema per kind, and the create
 * and patch operations declaring the `fieldValidation` query parameter, which makes kubectl leave the
 * validation to the server (which, here, accepts everything).
 */
const gvPath = (group: string, version: string) => (group === '' ? `api/${version}` : `apis/${group}/${version}`);

export function openApiIndex(served: readonly ResourceType[] = RESOURCE_TYPES): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const t of served) paths[gvPath(t.group, t.version)] = { serverRelativeURL: `/openapi/v3/${gvPath(t.group, t.version)}?hash=fake` };
  return { paths };
}

export function openApiGroupVersion(path: string, served: readonly ResourceType[] = RESOURCE_TYPES): Record<string, unknown> | undefined {
  const types = served.filter((t) => gvPath(t.group, t.version) === path);
  if (types.length === 0) return undefined;
  const schemas: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  const fieldValidation = [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }];
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const collection = `/${path}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    paths[collection] = { post: { operationId: `create${t.kind}`, 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': gvk, parameters: fieldValidation, responses: {} } };
    paths[`${collection}/{name}`] = {
      put: { operationId: `replace${t.kind}`, 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk, parameters: fieldValidation, responses: {} },
      patch: { operationId: `patch${t.kind}`, 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': gvk, parameters: fieldValidation, responses: {} },
    };
    schemas[`fake.${apiVersionOf(t).replace('/', '.')}.${t.kind}`] = {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.kind }],
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes (fake)', version: 'v1.32.0' }, paths, components: { schemas } };
}
