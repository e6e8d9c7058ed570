import type { ConfigMap, Ingress, ObjectSet, Secret } from '../../sources/object-set.ts';
import { classifier } from '../classes.ts';
import { NGINX_BY_NAME, NGINX_PREFIX, translateNginxAnnotations } from './index.ts';
import { VERDICT_TEXT, type Verdict } from './registry.ts';

/** What happens to one annotation of one Ingress. */
export type Outcome = Verdict | 'invalid' | 'typo';

export const OUTCOME_TEXT: Record<Outcome, string> = {
  ...VERDICT_TEXT,
  invalid: 'invalid value',
  typo: 'not an ingress-nginx annotation (typo?)',
};

export interface AnnotationVerdict {
  readonly annotation: string;
  readonly value: string;
  readonly outcome: Outcome;
  /** What RAUTA does, and (for anything but `honoured`) what differs. */
  readonly detail: string;
}

export interface IngressReport {
  readonly ingress: string;
  readonly class: 'rauta' | 'nginx' | 'other';
  /** Served as written (every annotation honoured), with differences, degraded (something ignored or closed), or not served. */
  readonly status: 'unchanged' | 'differences' | 'degraded' | 'not-served';
  readonly annotations: readonly AnnotationVerdict[];
}

export interface MigrationReport {
  readonly ingresses: readonly IngressReport[];
  readonly totals: Readonly<Record<IngressReport['status'], number>> & { readonly ingresses: number };
  readonly annotations: Readonly<Record<Outcome, number>>;
}

export interface ReportOptions {
  readonly annotationsPrefix?: string;
  readonly ingressClass?: string;
  readonly controllerName?: string;
}

const RANK: Record<IngressReport['status'], number> = { unchanged: 0, differences: 1, degraded: 2, 'not-served': 3 };

/**
 * The migration report: for every Ingress, every ingress-nginx annotation with what RAUTA does with it.
 * Pure, and built from the same registry and translation the proxy uses, so it cannot disagree with them.
 */
export function migrationReport(objects: ObjectSet, opts: ReportOptions = {}): MigrationReport {
  const prefix = opts.annotationsPrefix ?? NGINX_PREFIX;
  const secrets = new Map<string, Secret>();
  for (const s of objects.secrets) secrets.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
  const kind = classifier(objects.ingressClasses, {
    ingressClass: opts.ingressClass ?? 'rauta', controllerName: opts.controllerName ?? 'rauta.io/ingress-controller', watchIngressNginx: true,
  });
  const configMaps = new Map<string, ConfigMap>();
  for (const c of objects.configMaps ?? []) configMaps.set(`${c.metadata.namespace ?? 'default'}/${c.metadata.name}`, c);
  const reports = [...objects.ingresses].sort(byName).map((ing) => ingressReport(ing, kind(ing) ?? 'other', secrets, prefix, configMaps));
  const totals = { ingresses: reports.length, unchanged: 0, differences: 0, degraded: 0, 'not-served': 0 };
  const annotations: Record<Outcome, number> = { honoured: 0, 'honoured-with-difference': 0, unsupported: 0, refused: 0, invalid: 0, typo: 0 };
  for (const r of reports) {
    totals[r.status]++;
    for (const a of r.annotations) annotations[a.outcome]++;
  }
  return { ingresses: reports, totals, annotations };
}

function byName(a: Ingress, b: Ingress): number {
  const ka = `${a.metadata.namespace ?? 'default'}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? 'default'}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function ingressReport(ing: Ingress, cls: IngressReport['class'], secrets: ReadonlyMap<string, Secret>, prefix: string, configMaps: ReadonlyMap<string, ConfigMap>): IngressReport {
  const namespace = ing.metadata.namespace ?? 'default';
  const annotations = ing.metadata.annotations ?? {};
  const t = translateNginxAnnotations(annotations, { namespace, name: ing.metadata.name }, secrets, { prefix, nginxClass: cls === 'nginx', configMaps });
  const problemsOf = new Map<string, typeof t.problems[number][]>();
  for (const p of t.problems) problemsOf.set(p.annotation, [...(problemsOf.get(p.annotation) ?? []), p]);
  const out: AnnotationVerdict[] = [];
  for (const key of Object.keys(annotations).sort()) {
    const nginxName = key.startsWith(`${prefix}/`) ? key.slice(prefix.length + 1) : undefined;
    const rautaName = key.startsWith('rauta.io/') ? key.slice('rauta.io/'.length) : undefined;
    const name = nginxName ?? (rautaName !== undefined && NGINX_BY_NAME.has(rautaName) ? rautaName : undefined);
    if (name === undefined) continue;
    const value = annotations[key].length > 200 ? `${annotations[key].slice(0, 200)}…` : annotations[key];
    const entry = NGINX_BY_NAME.get(name);
    const problems = problemsOf.get(key) ?? [];
    if (entry === undefined) {
      out.push({ annotation: key, value, outcome: 'typo', detail: 'not an ingress-nginx annotation; ignored' });
      continue;
    }
    const kinds = new Set(problems.map((p) => p.kind));
    const messages = problems.map((p) => p.message).join('; ');
    let outcome: Outcome;
    let detail: string;
    if (kinds.has('refused')) { outcome = entry.verdict === 'refused' ? 'refused' : 'unsupported'; detail = messages; }
    else if (kinds.has('fail-closed')) { outcome = entry.verdict === 'unsupported' ? 'unsupported' : 'invalid'; detail = messages; }
    else if (kinds.has('invalid')) { outcome = 'invalid'; detail = messages; }
    else if (kinds.has('unsupported')) { outcome = 'unsupported'; detail = messages; }
    else if (kinds.has('note')) { outcome = 'honoured-with-difference'; detail = messages; }
    else if (entry.verdict === 'refused') { outcome = 'honoured-with-difference'; detail = entry.behaviour; }
    else { outcome = entry.verdict; detail = entry.verdict === 'honoured' ? entry.behaviour : `${entry.behaviour} ${entry.difference ?? ''}`.trim(); }
    out.push({ annotation: key, value, outcome, detail });
  }
  let status: IngressReport['status'] = 'unchanged';
  const worse = (s: IngressReport['status']) => { if (RANK[s] > RANK[status]) status = s; };
  for (const a of out) {
    if (a.outcome === 'honoured-with-difference') worse('differences');
    else if (a.outcome === 'unsupported' || a.outcome === 'invalid' || a.outcome === 'typo') worse('degraded');
    else if (a.outcome === 'refused') worse('not-served');
  }
  if (t.problems.some((p) => p.kind === 'fail-closed')) worse('degraded');
  if (t.refused !== undefined) worse('not-served');
  return { ingress: `${namespace}/${ing.metadata.name}`, class: cls, status, annotations: out };
}

/** The report as text for a terminal. */
export function renderReport(r: MigrationReport): string {
  const lines: string[] = [];
  for (const ing of r.ingresses) {
    lines.push(`${ing.ingress} (class ${ing.class}): ${ing.status}`);
    for (const a of ing.annotations) lines.push(`  ${a.annotation}: ${OUTCOME_TEXT[a.outcome]} — ${a.detail}`);
    if (ing.annotations.length === 0) lines.push('  no ingress-nginx annotations');
  }
  const t = r.totals;
  lines.push('');
  lines.push(`${t.ingresses} Ingresses: ${t.unchanged} move unchanged, ${t.differences} with documented differences, ${t.degraded} degraded (something ignored or closed), ${t['not-served']} not served.`);
  const a = r.annotations;
  lines.push(`Annotations: ${a.honoured} honoured, ${a['honoured-with-difference']} honoured with difference, ${a.unsupported} known but unsupported, ${a.refused} refused for safety, ${a.invalid} invalid values, ${a.typo} not ingress-nginx annotations.`);
  return `${lines.join('\n')}\n`;
}
