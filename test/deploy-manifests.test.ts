import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config/load.ts';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IIngressClass } from 'kubernetes-models/networking.k8s.io/v1/IngressClass';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { validateKubeObject } from './support/kube-schema.ts';

// `kubectl apply -f deploy/install.yaml` is the whole cluster install: no cluster runs here, so every
// promise the file makes is checked by reading it.

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: IObjectMeta;
}
type Labels = Record<string, string>;
type Rule = IPolicyRule;

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

function loadDocs(path: string): KubeObject[] {
  return parseAllDocuments(read(path)).map((d, i) => {
    assert.equal(d.errors.length, 0, `${path} document ${i}: ${d.errors[0]?.message}`);
    return d.toJS() as KubeObject | null;
  }).filter((d) => d !== null);
}

const docs = loadDocs('deploy/install.yaml');
const find = <T extends object = KubeObject>(kind: string, name: string): T => {
  const found = docs.filter((d) => d.kind === kind && d.metadata?.name === name);
  assert.equal(found.length, 1, `exactly one ${kind} ${name} in deploy/install.yaml`);
  return found[0] as unknown as T;
};
const deployment = find<IDeployment>('Deployment', 'rauta');
const pod = deployment.spec!.template;
const podSpec = pod.spec!;
const podLabels = pod.metadata!.labels!;
const container = podSpec.containers[0];
const env = container.env!;
const envValue = (name: string): string | undefined => env.find((e) => e.name === name)?.value;
const containerPort = (nameOrNumber: string | number | undefined): number => {
  if (typeof nameOrNumber === 'number') return nameOrNumber;
  const p = container.ports!.find((x) => x.name === nameOrNumber);
  assert.ok(p, `container port named ${nameOrNumber} exists`);
  return p.containerPort;
};
// RAUTA's own view of its settings, from the Deployment's literal env values (defaults fill the rest).
const rautaConfig = loadConfig([], Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]))).config;
const selects = (selector: Labels | undefined, labels: Labels) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy - manifests validate against the Kubernetes OpenAPI schemas', () => {
  const files = readdirSync(new URL('deploy/', root)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));

  it('finds the install file', () => {
    assert.deepEqual(files, ['install.yaml']);
    assert.ok(docs.length >= 12, `install.yaml has ${docs.length} documents`);
  });

  for (const file of files) {
    for (const [i, doc] of loadDocs(`deploy/${file}`).entries()) {
      it(`${file} #${i} ${doc.kind} ${doc.metadata?.name}: schema-valid, no unknown fields`, async () => {
        assert.deepEqual(await validateKubeObject(doc), []);
      });
    }
  }

  const readmeBlocks = [...read('deploy/README.md').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  it('deploy/README.md has the namespace-narrowing manifests', () => assert.ok(readmeBlocks.length >= 1));
  for (const [b, block] of readmeBlocks.entries()) {
    for (const [i, doc] of parseAllDocuments(block).map((d) => d.toJS() as KubeObject).entries()) {
      it(`README block ${b} #${i} ${doc.kind} ${doc.metadata?.name}: schema-valid, no unknown fields`, async () => {
        assert.deepEqual(await validateKubeObject(doc), []);
      });
    }
  }

  it('the strict validator catches a typo and a wrong type (so the checks above can fail)', async () => {
    const bad = structuredClone(deployment);
    const c = bad.spec!.template.spec!.containers[0] as unknown as { securityContext: Record<string, unknown>; ports: Record<string, unknown>[] };
    c.securityContext.readOnlyRootFileSystem = true;
    c.ports[0].containerPort = 'eighty';
    const problems = await validateKubeObject(bad);
    assert.ok(problems.some((p) => p.message.includes('readOnlyRootFileSystem')), JSON.stringify(problems));
    assert.ok(problems.some((p) => p.message.includes('containerPort must be integer')), JSON.stringify(problems));
  });
});

describe('deploy - install.yaml is applyable in one pass', () => {
  it('creates the namespace first, and every namespaced object lives in it', () => {
    assert.equal(docs[0].kind, 'Namespace');
    assert.equal(docs[0].metadata.name, 'rauta-system');
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass', 'GatewayClass']);
    for (const d of docs) {
      if (clusterScoped.has(d.kind)) assert.equal(d.metadata.namespace, undefined, `${d.kind} ${d.metadata.name} is cluster-scoped`);
      else assert.equal(d.metadata.namespace, 'rauta-system', `${d.kind} ${d.metadata.name}`);
    }
  });

  it('has no two objects of the same kind and name', () => {
    const keys = docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('every binding grants an existing role to the existing service account the pods run as', () => {
    const sa = find('ServiceAccount', podSpec.serviceAccountName!);
    const bindings = docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding') as IRoleBinding[];
    for (const b of bindings) {
      find(b.roleRef.kind, b.roleRef.name);
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'rauta-system' }]);
    }
    assert.deepEqual(bindings.map((d) => `${d.kind}/${d.roleRef.name}`).sort(),
      ['ClusterRoleBinding/rauta', 'RoleBinding/rauta-leader-election']);
  });
});

describe('deploy - RBAC is least privilege', () => {
  const flatten = (rules: Rule[] | undefined) => (rules ?? []).flatMap((r) =>
    (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) =>
      `${g || 'core'} ${res} ${v}${r.resourceNames ? ` [${r.resourceNames.join(',')}]` : ''}`)))).sort();

  it('the ClusterRole grants exactly read on the translated objects, status writes and events', () => {
    const expected = [
      ...['networking.k8s.io ingresses', 'networking.k8s.io ingressclasses', 'core services', 'core secrets', 'core configmaps', 'discovery.k8s.io endpointslices', 'core namespaces',
        ...['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants'].map((r) => `gateway.networking.k8s.io ${r}`)]
        .flatMap((r) => ['get', 'list', 'watch'].map((v) => `${r} ${v}`)),
      'networking.k8s.io ingresses/status update', 'networking.k8s.io ingresses/status patch',
      ...['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes'].flatMap((r) => [`gateway.networking.k8s.io ${r}/status update`, `gateway.networking.k8s.io ${r}/status patch`]),
      'core events create', 'core events patch', 'events.k8s.io events create', 'events.k8s.io events patch',
    ].sort();
    assert.deepEqual(flatten(find<IClusterRole>('ClusterRole', 'rauta').rules), expected);
  });

  it('the Lease Role is namespaced, and get/update are limited to the election id RAUTA uses', () => {
    const role = find<IRole>('Role', 'rauta-leader-election');
    const electionId = envValue('RAUTA_ELECTION_ID') ?? 'rauta-leader';
    assert.equal(electionId, 'rauta-leader');
    assert.deepEqual(flatten(role.rules), [
      'coordination.k8s.io leases create',
      `coordination.k8s.io leases get [${electionId}]`,
      `coordination.k8s.io leases update [${electionId}]`,
    ]);
  });

  it('no wildcards anywhere, and no other roles', () => {
    const roles = docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole') as IRole[];
    assert.equal(roles.length, 2);
    for (const r of roles) for (const rule of r.rules ?? []) {
      for (const list of [rule.apiGroups ?? [], rule.resources ?? [], rule.verbs]) assert.ok(!list.includes('*'), `${r.metadata?.name}: ${list}`);
    }
  });

  it('explains why Secrets are read and how RAUTA_WATCH_NAMESPACE narrows it', () => {
    const text = read('deploy/install.yaml');
    assert.match(text, /Why secrets:.*spec\.tls\[\]\.secretName/s);
    assert.match(text, /RAUTA_WATCH_NAMESPACE=<ns>.*RoleBinding/s);
  });
});

describe('deploy - the Deployment', () => {
  it('runs 2 replicas spread across nodes, with a PodDisruptionBudget over the same pods', () => {
    const replicas = deployment.spec!.replicas!;
    assert.equal(replicas, 2);
    assert.ok(selects(deployment.spec!.selector.matchLabels, podLabels));
    const term = podSpec.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution![0].podAffinityTerm;
    assert.equal(term.topologyKey, 'kubernetes.io/hostname');
    assert.ok(selects(term.labelSelector!.matchLabels, podLabels));
    const pdb = find<IPodDisruptionBudget>('PodDisruptionBudget', 'rauta');
    assert.ok(selects(pdb.spec!.selector!.matchLabels, podLabels));
    const minAvailable = Number(pdb.spec!.minAvailable);
    assert.ok(minAvailable >= 1 && minAvailable < replicas, 'a drain can still evict one pod');
  });

  it('pins the image to the package version, never latest', () => {
    const pkg = JSON.parse(read('package.json')) as { version: string };
    const image = container.image!;
    assert.match(image, /^[a-z0-9.-]+(\/[a-z0-9._-]+)+:[A-Za-z0-9._-]+$/);
    assert.ok(!image.endsWith(':latest'));
    assert.equal(image, `ghcr.io/rauta/rauta:${pkg.version}`);
    assert.equal(deployment.metadata!.labels!['app.kubernetes.io/version'], pkg.version);
  });

  it('runs non-root, read-only, without capabilities, with seccomp RuntimeDefault', () => {
    const podSc = podSpec.securityContext!;
    const sc = container.securityContext!;
    assert.equal(podSc.runAsNonRoot, true);
    assert.equal(sc.runAsNonRoot, true);
    assert.ok(sc.runAsUser! > 0 && podSc.runAsUser! > 0);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities, { drop: ['ALL'] });
    assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(podSc.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(docs[0].metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    for (const p of container.ports!) assert.ok(p.containerPort > 1024, 'no privileged ports: no NET_BIND_SERVICE needed');
  });

  it('sets requests and limits for cpu and memory', () => {
    const { requests, limits } = container.resources!;
    for (const [kind, values] of [['requests', requests], ['limits', limits]] as const) for (const r of ['cpu', 'memory']) {
      assert.ok(values?.[r] !== undefined, `${kind}.${r}`);
    }
  });

  it('binds the admin port where kubelet and Prometheus reach it, and names the metrics Service among its allowed Hosts', () => {
    assert.equal(rautaConfig.adminBindAddress, '0.0.0.0');
    const metrics = find<IService>('Service', 'rauta-metrics');
    const ns = metrics.metadata!.namespace;
    for (const name of ['rauta-metrics', `rauta-metrics.${ns}`, `rauta-metrics.${ns}.svc`, `rauta-metrics.${ns}.svc.cluster.local`]) {
      assert.ok(rautaConfig.adminAllowedHosts.includes(name), name);
    }
  });

  it('probes /healthz and /readyz on the admin port RAUTA listens on', () => {
    assert.equal(containerPort('admin'), rautaConfig.adminPort);
    assert.equal(containerPort('http'), rautaConfig.httpPort);
    assert.equal(containerPort('https'), rautaConfig.httpsPort);
    const live = container.livenessProbe!.httpGet!;
    const ready = container.readinessProbe!.httpGet!;
    assert.equal(live.path, '/healthz');
    assert.equal(ready.path, '/readyz');
    assert.equal(containerPort(live.port), rautaConfig.adminPort);
    assert.equal(containerPort(ready.port), rautaConfig.adminPort);
  });

  it('gives the pod more time to stop than preStop plus RAUTA_SHUTDOWN_GRACE_SECONDS', () => {
    const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    assert.equal(rautaConfig.shutdownGraceSeconds, 30);
    const grace = podSpec.terminationGracePeriodSeconds!;
    assert.ok(grace > preStop + rautaConfig.shutdownGraceSeconds, `${grace} > ${preStop} + ${rautaConfig.shutdownGraceSeconds}`);
  });

  it('passes NODE_NAME, POD_NAME, POD_NAMESPACE from the downward API', () => {
    const fieldOf = (name: string) => env.find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
    assert.equal(fieldOf('NODE_NAME'), 'spec.nodeName');
    assert.equal(fieldOf('POD_NAME'), 'metadata.name');
    assert.equal(fieldOf('POD_NAMESPACE'), 'metadata.namespace');
  });

  it('publishes the address of its own LoadBalancer Service, and serves the IngressClass it installs', () => {
    const [ns, name] = String(envValue('RAUTA_PUBLISH_SERVICE')).split('/');
    const svc = find<IService>('Service', name);
    assert.equal(svc.metadata!.namespace, ns);
    assert.equal(svc.spec!.type, 'LoadBalancer');
    const cls = find<IIngressClass>('IngressClass', rautaConfig.ingressClass);
    assert.equal(cls.spec!.controller, rautaConfig.controllerName);
    assert.equal(cls.metadata!.annotations?.['ingressclass.kubernetes.io/is-default-class'], undefined, 'default class stays opt-in');
    assert.match(read('deploy/install.yaml'), /#\s+ingressclass\.kubernetes\.io\/is-default-class: "true"/);
    const gatewayClass = find<{ spec: { controllerName: string } }>('GatewayClass', 'rauta');
    assert.equal(gatewayClass.spec.controllerName, rautaConfig.gatewayControllerName);
  });

  it('only uses environment variable names from RAUTA\'s contract, and offers NATS and OTLP commented out', () => {
    const contract = new Set(['RAUTA_HTTP_PORT', 'RAUTA_HTTPS_PORT', 'RAUTA_ADMIN_PORT', 'RAUTA_ADMIN_BIND_ADDRESS', 'RAUTA_ADMIN_ALLOWED_HOSTS', 'RAUTA_INGRESS_CLASS', 'RAUTA_CONTROLLER_NAME',
      'RAUTA_SHUTDOWN_GRACE_SECONDS', 'RAUTA_LOG_LEVEL', 'RAUTA_PUBLISH_SERVICE', 'RAUTA_ELECTION_ID', 'RAUTA_CLUSTER_NAME',
      'POD_NAME', 'POD_NAMESPACE', 'NODE_NAME']);
    for (const e of env) assert.ok(contract.has(e.name), e.name);
    const text = read('deploy/install.yaml');
    for (const name of ['NATS_URL', 'NATS_CREDS', 'RAUTA_NATS_SUBJECT', 'RAUTA_NATS_MIRROR_SUBJECT', 'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'RAUTA_WATCH_NAMESPACE']) {
      assert.match(text, new RegExp(`#\\s+- name: ${name}\\b`), `${name} offered as a commented env entry`);
    }
  });
});

describe('deploy - the admin port is never public', () => {
  const adminPort = () => rautaConfig.adminPort;
  const services = docs.filter((d) => d.kind === 'Service') as IService[];
  const targets = (svc: IService) => (svc.spec!.ports ?? []).map((p) => containerPort(p.targetPort ?? p.port));

  it('the LoadBalancer Service exposes 80 → http and 443 → https only', () => {
    const lb = services.filter((d) => d.spec!.type === 'LoadBalancer');
    assert.equal(lb.length, 1);
    const svc = lb[0];
    assert.deepEqual(svc.spec!.ports!.map((p) => p.port), [80, 443]);
    assert.deepEqual(targets(svc), [rautaConfig.httpPort, rautaConfig.httpsPort]);
    assert.ok(!targets(svc).includes(adminPort()));
    assert.ok(selects(svc.spec!.selector, podLabels));
  });

  it('no NodePort or LoadBalancer Service reaches the admin port; a ClusterIP one exists for scraping', () => {
    for (const svc of services) {
      if (targets(svc).includes(adminPort())) assert.equal(svc.spec!.type ?? 'ClusterIP', 'ClusterIP', svc.metadata!.name);
    }
    const metrics = find<IService>('Service', 'rauta-metrics');
    assert.deepEqual(targets(metrics), [adminPort()]);
    assert.ok(selects(metrics.spec!.selector, podLabels));
  });

  it('the NetworkPolicy opens the traffic ports to all and the admin port only to selected peers', () => {
    const np = find<INetworkPolicy>('NetworkPolicy', 'rauta');
    const spec = np.spec!;
    assert.ok(selects(spec.podSelector!.matchLabels, podLabels));
    assert.deepEqual(spec.policyTypes, ['Ingress']);
    const rules = spec.ingress ?? [];
    for (const rule of rules) {
      const ports = (rule.ports ?? []).map((p) => containerPort(p.port));
      if (ports.includes(adminPort())) {
        assert.ok(Array.isArray(rule.from) && rule.from.length > 0, 'admin port rule restricts its peers');
        assert.deepEqual(ports, [adminPort()]);
      } else {
        assert.deepEqual(ports.sort(), [rautaConfig.httpPort, rautaConfig.httpsPort].sort());
      }
    }
    assert.ok(rules.some((r) => (r.ports ?? []).some((p) => containerPort(p.port) === adminPort())));
  });
});
