import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type Sampler, TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { SinkCounters } from '../sink.ts';
import { WorkerSpanPipeline } from './worker-exporter.ts';
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

/** OTEL_TRACES_SAMPLER (+ _ARG) as the SDK spec defines them; default parentbased_always_on. */
export function samplerFrom(name: string, arg: string | undefined): Sampler {
  const ratio = () => {
    const r = arg === undefined ? 1 : Number(arg);
    if (!Number.isFinite(r) || r < 0 || r > 1) throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio 0..1, got "${arg}"`);
    return new TraceIdRatioBasedSampler(r);
  };
  switch (name) {
    case 'always_on': return new AlwaysOnSampler();
    case 'always_off': return new AlwaysOffSampler();
    case 'traceidratio': return ratio();
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: ratio() });
    default: throw new TracingConfigError(`OTEL_TRACES_SAMPLER "${name}" is not supported`);
  }
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
 * The SDK parts RAUTA's tracing uses: the configured sampler (on the proxy thread, at request start);
 * in a worker thread, spans are encoded straight to OTLP protobuf (otlp-proto.ts) in batches and
 * exported (encoding and HTTP off the proxy's loop; http/json goes through the SDK's exporter). Nothing is registered globally (no auto-instrumentation, no
 * module state). Export runs on the processor's background timer with a bounded queue: a dead or
 * hanging collector costs dropped spans (counted, failures logged at most every 30 s), never request
 * latency.
 */
export function createSpanPipeline(s: OtlpSettings, counters: SinkCounters, logger: Logger): (WorkerSpanPipeline & { url: string; protocol: string }) | undefined {
  const url = tracesUrl(s);
  if (url === undefined) return undefined;
  const protocol = s.tracesProtocol ?? s.protocol;
  const sampler = samplerFrom(s.sampler, s.samplerArg);
  const resourceAttributes = { ...parseResourceAttributes(s.resourceAttributes), 'service.name': s.serviceName };
  const pipeline = new WorkerSpanPipeline({
    protocol, url, timeoutMs: s.exportTimeoutMs, resourceAttributes,
    maxQueueSize: s.maxQueueSize, maxExportBatchSize: Math.min(512, s.maxQueueSize), scheduledDelayMs: s.scheduleDelayMs,
  }, sampler, counters, logger);
  return Object.assign(pipeline, { url, protocol });
}
