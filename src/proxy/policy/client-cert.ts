import { X509Certificate } from 'node:crypto';
import type { RE2JS } from 're2js';
import type { TLSSocket } from 'node:tls';
import { normalizeHost } from '../../routing/host.ts';
import type { ClientCertOp } from '../../routing/policy.ts';
import { ErrorKinds, ProxyError } from '../errors.ts';
import { compileRegex } from './compile.ts';
import type { PolicyAnswer, PolicyContext } from './context.ts';
import type { PolicyRuntime } from './runtime.ts';
import { render } from './template.ts';

const MISDIRECTED = Object.freeze({ ...ErrorKinds.clientCertificate, status: 421, title: 'Misdirected Request' });

/** Request headers ingress-nginx sets from the client certificate; a client's own are always replaced. */
const HEADERS = ['ssl-client-verify', 'ssl-client-subject-dn', 'ssl-client-issuer-dn', 'ssl-client-cert'];

/**
 * A Distinguished Name in RFC 2253 order (most specific first, as nginx's $ssl_client_s_dn). Certificates
 * are client input: anything outside printable ASCII is hex-escaped, so a DN can never break a header.
 */
export function rfc2253(oneLinePerRdn: string): string {
  return oneLinePerRdn.split('\n').filter((l) => l !== '').reverse().join(',')
    .replace(/[^\x20-\x7e]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join(''));
}

/** An op's CA certificates and subject pattern, compiled once per op. */
function compiled(op: ClientCertOp, rt: PolicyRuntime): { cas: X509Certificate[]; cn: RE2JS | undefined } {
  return rt.compiled.get(op, (o) => ({
    cas: (o.caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b)),
    cn: o.matchCn === undefined ? undefined : compileRegex(o.matchCn, false),
  }));
}

/**
 * Verify depth 1 (ingress-nginx's default): the certificate must be issued by a CA of the bundle itself,
 * not through an intermediate. Node does not show a server the chain a client sent, so longer depths
 * accept any chain OpenSSL verified against the bundle (a documented difference).
 */
function withinDepth(op: ClientCertOp, leaf: X509Certificate, rt: PolicyRuntime): boolean {
  if (op.depth > 1) return true;
  return compiled(op, rt).cas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
}

/**
 * ingress-nginx auth-tls-*: the handshake (see tls/certificate-store.ts) asked for and verified the
 * certificate for the SNI name; here the request is let in or answered. A request for a Host other than
 * the name the connection was verified for gets 421, as nginx does: the check must be the Host's own.
 */
export function clientCert(op: ClientCertOp, ctx: PolicyContext, rt: PolicyRuntime): PolicyAnswer | undefined {
  ctx.removeRequest.push(...HEADERS);
  const socket = ctx.scheme === 'https' ? (ctx.req.socket as TLSSocket | null) : null;
  if (socket !== null && typeof socket.getPeerCertificate === 'function') {
    const sni = typeof socket.servername === 'string' ? normalizeHost(socket.servername) : '';
    if (sni !== normalizeHost(ctx.rawHost)) {
      return { kind: 'error', error: new ProxyError(MISDIRECTED, `this connection was set up for "${sni || '(no SNI)'}", not for the requested host; client certificates are checked per host`) };
    }
  }
  const peer = socket !== null && typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(true) : undefined;
  const present = peer !== undefined && peer !== null && peer.raw !== undefined;
  let verify = 'NONE';
  let subject = '';
  let issuer = '';
  if (present) {
    const x = new X509Certificate(peer.raw);
    subject = rfc2253(x.subject);
    issuer = rfc2253(x.issuer);
    const error = socket?.authorizationError;
    if (!socket?.authorized) verify = `FAILED:${error instanceof Error ? error.message : String(error ?? 'unable to verify the certificate')}`;
    else if (!withinDepth(op, x, rt)) verify = 'FAILED:certificate chain too long';
    else verify = 'SUCCESS';
    if (op.passCertificate) ctx.setRequest.push({ name: 'ssl-client-cert', value: encodeURIComponent(x.toString()) });
  }
  const refuse = (why: string): PolicyAnswer => (op.errorPage !== undefined
    ? { kind: 'respond', status: 302, headers: { location: render(op.errorPage, ctx) } }
    : { kind: 'error', error: new ProxyError(ErrorKinds.clientCertificate, why) });
  if (op.mode === 'on' && !present) return refuse('no required SSL certificate was sent');
  if (op.mode !== 'optional_no_ca' && verify.startsWith('FAILED')) return refuse(`the SSL certificate error (${verify.slice(7)})`);
  const cn = compiled(op, rt).cn;
  if (cn !== undefined && !cn.matcher(subject).find()) {
    return { kind: 'error', error: new ProxyError(ErrorKinds.forbidden, 'client certificate unauthorized') };
  }
  ctx.setRequest.push({ name: 'ssl-client-verify', value: verify.replace(/[^\x20-\x7e]/g, '?') });
  if (present) ctx.setRequest.push({ name: 'ssl-client-subject-dn', value: subject }, { name: 'ssl-client-issuer-dn', value: issuer });
  return undefined;
}
