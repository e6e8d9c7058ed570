import { type AnnotationEntry, type NginxContext, parseSize } from './registry.ts';

function bodySize(value: string, ctx: NginxContext): void {
  const n = parseSize(value);
  if (n === undefined) return ctx.invalid('proxy-body-size', `"${value.slice(0, 32)}" is not an nginx size (like 8m, 512k, 0); using the default`);
  ctx.op({ kind: 'body-limit', maxBytes: n });
}

function buffering(name: string, reason: string): AnnotationEntry {
  return { name, theme: 'body', verdict: 'honoured-with-difference', behaviour: 'Accepted; not needed.', difference: reason };
}

const STREAMS = 'RAUTA streams request and response bodies with backpressure; it never buffers them in memory or temporary files.';

export const bodyEntries: readonly AnnotationEntry[] = [
  { name: 'proxy-body-size', theme: 'body', verdict: 'honoured', behaviour: 'Largest request body (nginx size: 8m, 512k; 0 = unlimited); larger ones get 413, chunked bodies too as soon as they grow past it. Default 1m for Ingresses of the ingress-nginx class.', parse: bodySize },
  buffering('client-body-buffer-size', STREAMS),
  buffering('proxy-buffering', STREAMS),
  buffering('proxy-buffers-number', STREAMS),
  buffering('proxy-buffer-size', `${STREAMS} Response headers up to the configured header limit are accepted.`),
  buffering('proxy-busy-buffers-size', STREAMS),
  buffering('proxy-max-temp-file-size', STREAMS),
  { name: 'proxy-request-buffering', theme: 'body', verdict: 'honoured-with-difference', behaviour: 'Accepted.', difference: 'Request bodies are always streamed to the backend; `on` (a backend that needs whole bodies before it starts) is not honoured.', parse: (v: string, c: NginxContext) => { if (v.trim() === 'on') c.note('proxy-request-buffering', 'on is not honoured: the body is streamed to the backend'); } },
];
