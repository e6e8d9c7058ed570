/**
 * Every reason a Diagnostic (or an unavailable backend) can carry. They appear in /routes, logs,
 * `rauta.config` events and Kubernetes Events, like a Kubernetes Event reason: CamelCase and stable, so
 * treat them as API. Translation names them only through this table, so the full list is in one place.
 */
export const Reasons = {
  /** A source could not read an object at all (bad YAML, wrong shape). */
  InvalidObject: 'InvalidObject',
  InvalidAnnotation: 'InvalidAnnotation',
  UnsupportedBackend: 'UnsupportedBackend',
  InvalidBackend: 'InvalidBackend',
  DefaultBackendConflict: 'DefaultBackendConflict',
  InvalidHost: 'InvalidHost',
  InvalidPathType: 'InvalidPathType',
  InvalidPath: 'InvalidPath',
  PathConflict: 'PathConflict',
  ServiceNotFound: 'ServiceNotFound',
  UnsupportedService: 'UnsupportedService',
  ServicePortNotFound: 'ServicePortNotFound',
  SecretNotFound: 'SecretNotFound',
  InvalidSecret: 'InvalidSecret',
  /** Unparseable, mismatched, expired, not yet valid, or rejected by OpenSSL (a key too small…). */
  InvalidCertificate: 'InvalidCertificate',
  /** An annotation RAUTA knows but does not implement (a warning; the rest of the Ingress is served). */
  UnsupportedAnnotation: 'UnsupportedAnnotation',
  /** A security annotation that could not be honoured: the routes answer 503 instead of opening. */
  PolicyFailClosed: 'PolicyFailClosed',
  /** An annotation that cannot be honoured safely (a snippet, a canary): the Ingress is not served. */
  AnnotationRefused: 'AnnotationRefused',
  /** A canary Ingress path no main Ingress serves (ingress-nginx ignores it the same way). */
  CanaryWithoutMain: 'CanaryWithoutMain',
  // Gateway API: the same reasons the objects' status conditions carry (gateway.networking.k8s.io).
  UnsupportedProtocol: 'UnsupportedProtocol',
  UnsupportedAddress: 'UnsupportedAddress',
  InvalidCertificateRef: 'InvalidCertificateRef',
  InvalidRouteKinds: 'InvalidRouteKinds',
  HostnameConflict: 'HostnameConflict',
  ProtocolConflict: 'ProtocolConflict',
  RefNotPermitted: 'RefNotPermitted',
  NotAllowedByListeners: 'NotAllowedByListeners',
  NoMatchingListenerHostname: 'NoMatchingListenerHostname',
  NoMatchingParent: 'NoMatchingParent',
  UnsupportedValue: 'UnsupportedValue',
  BackendNotFound: 'BackendNotFound',
  InvalidKind: 'InvalidKind',
} as const;

export type DiagnosticReason = (typeof Reasons)[keyof typeof Reasons];
