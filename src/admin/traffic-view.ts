import type { PolicyOp, TrafficPolicy } from '../routing/policy.ts';

/**
 * A route's traffic policy as /routes, the web UI and `rauta translate` show it: the operations as they
 * are, except secrets (password hashes, private keys, certificates), which are summarised, never shown.
 */
export function trafficView(t: TrafficPolicy): Record<string, unknown[]> {
  const view = (ops: readonly PolicyOp[]) => ops.map(opView);
  return { access: view(t.access), request: view(t.request), upstream: view(t.upstream), response: view(t.response) };
}

function opView(op: PolicyOp): unknown {
  switch (op.kind) {
    case 'basic-auth':
      return { kind: op.kind, realm: op.realm, users: op.users.length };
    case 'any-of':
      return { kind: op.kind, ops: op.ops.map(opView) };
    case 'upstream-tls':
      return {
        kind: op.kind, verify: op.verify, server_name: op.serverName, sni: op.sni, secret: op.secret,
        ca: op.caPem !== undefined, client_certificate: op.certPem !== undefined,
      };
    case 'client-cert': {
      const { caPem, crlPem, ...rest } = op;
      return { ...rest, ca_certificates: (caPem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length, crl: crlPem !== undefined };
    }
    default:
      return op;
  }
}
