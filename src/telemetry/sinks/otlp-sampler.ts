import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type Sampler, TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { TracingConfigError } from './otlp-setup.ts';

// Its own module: the OTel SDK is loaded only when tracing is on.

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
