import type { DiagnosticReason } from '../../routing/reasons.ts';
import type { Diagnostic, Severity } from '../../routing/types.ts';

export type Report = (severity: Severity, reason: DiagnosticReason, message: string, field?: string) => void;

/** Collects the diagnostics of Gateway API objects, each naming its kind. */
export class GatewayReporter {
  readonly diagnostics: Diagnostic[] = [];

  forObject(kind: string, namespace: string, name: string): Report {
    return (severity, reason, message, field) => {
      this.diagnostics.push({ namespace, ingress: name, kind, severity, reason, message, ...(field !== undefined ? { field } : {}) });
    };
  }
}
