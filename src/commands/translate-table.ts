import { routesView } from '../admin/routes-view.ts';
import { translate } from '../translate/translate.ts';
import { type CommandArgs, UsageError, readManifestInputs } from './inputs.ts';

export const TRANSLATE_USAGE = `Usage: rauta translate -f FILE|DIR ... [--watch-ingress-nginx] [--annotations-prefix PREFIX]

Prints the route table (as /routes shows it) that these manifests produce, with every diagnostic,
without starting a proxy.
`;

/** `rauta translate`: manifests → the route table as JSON. */
export async function translateTable(args: CommandArgs): Promise<string> {
  if (args.files.length === 0 || args.kubeconfig !== undefined) throw new UsageError('give -f FILE|DIR');
  const objects = await readManifestInputs(args.files);
  const { table } = translate(objects, {
    ingressClass: 'rauta',
    controllerName: 'rauta.io/ingress-controller',
    watchIngressNginx: args.watchIngressNginx,
    annotationsPrefix: args.annotationsPrefix,
    now: Date.now(),
  });
  const { fingerprint: _f, applied_at: _a, ...view } = routesView(table, { fingerprint: '', appliedAt: undefined });
  return `${JSON.stringify(view, null, 2)}\n`;
}
