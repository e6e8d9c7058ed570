import { type Attributes, type HrTime, type SpanContext, type SpanKind, type SpanStatus, createTraceState } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A finished span as plain data: what crosses from the proxy thread to the export worker. */
export interface WireSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState: string | undefined;
  readonly parent: { readonly spanId: string; readonly traceFlags: number; readonly isRemote: boolean } | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
}

export interface ExporterInit {
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly url: string;
  readonly timeoutMs: number;
  readonly resourceAttributes: Record<string, string>;
}

export type ToWorker = { readonly type: 'export'; readonly id: number; readonly spans: readonly WireSpan[] } | { readonly type: 'shutdown' };
export type FromWorker = { readonly type: 'result'; readonly id: number; readonly ok: boolean; readonly error?: string } | { readonly type: 'shutdown-done' };

export function toWire(s: ReadableSpan): WireSpan {
  const ctx = s.spanContext();
  const p = s.parentSpanContext;
  return {
    name: s.name, kind: s.kind, traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.traceFlags,
    traceState: ctx.traceState?.serialize(),
    parent: p === undefined ? undefined : { spanId: p.spanId, traceFlags: p.traceFlags, isRemote: p.isRemote === true },
    startTime: s.startTime, endTime: s.endTime, duration: s.duration, status: s.status, attributes: s.attributes,
  };
}

const SCOPE = { name: 'rauta' };

export function fromWire(w: WireSpan, resource: Resource): ReadableSpan {
  const traceState = w.traceState === undefined ? undefined : createTraceState(w.traceState);
  const ctx: SpanContext = { traceId: w.traceId, spanId: w.spanId, traceFlags: w.traceFlags, traceState };
  const parent: SpanContext | undefined = w.parent === undefined ? undefined
    : { traceId: w.traceId, spanId: w.parent.spanId, traceFlags: w.parent.traceFlags, isRemote: w.parent.isRemote, traceState };
  return {
    name: w.name, kind: w.kind, spanContext: () => ctx, parentSpanContext: parent,
    startTime: w.startTime, endTime: w.endTime, duration: w.duration, status: w.status, attributes: w.attributes,
    links: [], events: [], ended: true, resource, instrumentationScope: SCOPE,
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
}
