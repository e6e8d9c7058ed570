import { NGINX_PREFIX } from '../translate/nginx/index.ts';
import { migrationReport, renderReport } from '../translate/nginx/report.ts';
import { type CommandArgs, UsageError, readManifestInputs } from './inputs.ts';

export const MIGRATE_USAGE = `Usage: rauta migrate (-f FILE|DIR ... | --kubeconfig PATH) [--output text|json] [--annotations-prefix PREFIX]

Reads Ingresses (read-only) and prints, per Ingress, every ingress-nginx annotation with what RAUTA does
with it: honoured, honoured with difference, known but unsupported, refused for safety, or not an
ingress-nginx annotation; then totals (how many Ingresses move unchanged).
`;

/** `rauta migrate`: the migration report from manifests or a cluster. Returns the text to print. */
export async function migrate(args: CommandArgs): Promise<string> {
  if ((args.files.length === 0) === (args.kubeconfig === undefined)) throw new UsageError('give -f FILE|DIR or --kubeconfig PATH (one of them)');
  const prefix = args.annotationsPrefix ?? NGINX_PREFIX;
  const objects = args.kubeconfig !== undefined ? await (await import('./cluster.ts')).readCluster(args.kubeconfig, prefix) : await readManifestInputs(args.files);
  const report = migrationReport(objects, { annotationsPrefix: prefix });
  return args.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report);
}
