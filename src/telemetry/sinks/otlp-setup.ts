import type { ExporterInit } from '../thread/protocol.ts';
import { RautaError } from '../../errors.ts';

/** The standard OTEL_* variables RAUTA honours (read through RAUTA's settings, so flags work too). */
export interface OtlpSettings {
  readonly endpoint: string | undefined;
  readonly tracesEndpoint: string | undefined;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly tracesProtocol: 'http/protobuf' | 'http/json' | undefined;
  readonly serviceName: string;
  readonly sampler: string;
  readonly samplerArg: string | undefined;
  readonly resourceAttributes: string | undefined;
  readonly scheduleDelayMs: number;
  readonly maxQueueSize: number;
  readonly exportTimeoutMs: number;
}

export class TracingConfigError extends RautaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAUTA_ERR_TRACING_CONFIG', message, options);
  }
}

/** The URL spans are posted to: the traces endpoint as given, else `<endpoint>/v1/traces` (OTLP spec). */
export function tracesUrl(s: OtlpSettings): string | undefined {
  if (s.tracesEndpoint !== undefined) return s.tracesEndpoint;
  if (s.endpoint === undefined) return undefined;
  return `${s.endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** OTEL_RESOURCE_ATTRIBUTES: `key=value,key2=value2`, values percent-encoded (W3C Baggage octets). */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      out[key] = pair.slice(eq + 1).trim();
    }
  }
  return out;
}

/**
 * The span exporter's settings, or undefined when no OTLP endpoint is set (tracing off). The sampler
 * runs on the proxy thread at request start (samplerFrom); encoding (otlp-proto.ts) and export run in
 * the telemetry thread. Nothing is registered globally (no auto-instrumentation, no module state). A
 * dead or hanging collector costs dropped spans (counted, failures logged at most every 30 s), never
 * request latency.
 */
export function spanExportInit(s: OtlpSettings): ExporterInit | undefined {
  const url = tracesUrl(s);
  if (url === undefined) return undefined;
  return {
    protocol: s.tracesProtocol ?? s.protocol, url, timeoutMs: s.exportTimeoutMs,
    resourceAttributes: { ...parseResourceAttributes(s.resourceAttributes), 'service.name': s.serviceName },
    maxQueueSize: s.maxQueueSize, maxExportBatchSize: Math.min(512, s.maxQueueSize), scheduledDelayMs: s.scheduleDelayMs,
  };
}
