import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

/** The part of the OTLP trace protocol (opentelemetry-proto v1) a test needs to read spans. */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Status { string message = 2; int32 code = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5;
  int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; Status status = 15;
}
message ScopeSpans { repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;
const root = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: true }).root;
const ExportRequest = root.lookupType('otlp.ExportTraceServiceRequest');

/** A span as the test sees it, whichever encoding carried it. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** 2 = SERVER, 3 = CLIENT. */
  readonly kind: number;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly attributes: Record<string, string | number | boolean>;
  readonly resource: Record<string, string | number | boolean>;
  readonly encoding: 'protobuf' | 'json';
}

type Value = { string_value?: string; stringValue?: string; bool_value?: boolean; boolValue?: boolean; int_value?: number | string | { toNumber(): number }; intValue?: number | string; double_value?: number; doubleValue?: number };
type Kv = { key: string; value?: Value };

function plain(v: Value | undefined): string | number | boolean {
  if (v === undefined) return '';
  const s = v.string_value ?? v.stringValue;
  if (s !== undefined) return s;
  const b = v.bool_value ?? v.boolValue;
  if (b !== undefined) return b;
  const i = v.int_value ?? v.intValue;
  if (i !== undefined) return typeof i === 'object' ? i.toNumber() : Number(i);
  return v.double_value ?? v.doubleValue ?? '';
}

function attrs(list: Kv[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) out[kv.key] = plain(kv.value);
  return out;
}

const hex = (b: Uint8Array | string | undefined): string => (b === undefined ? '' : typeof b === 'string' ? b : Buffer.from(b).toString('hex'));

type RawSpan = {
  trace_id?: Uint8Array; traceId?: string; span_id?: Uint8Array; spanId?: string; parent_span_id?: Uint8Array; parentSpanId?: string;
  name: string; kind: number; attributes?: Kv[]; status?: { code?: number };
};
type RawRequest = { resource_spans?: { resource?: { attributes?: Kv[] }; scope_spans?: { spans?: RawSpan[] }[] }[]; resourceSpans?: { resource?: { attributes?: Kv[] }; scopeSpans?: { spans?: RawSpan[] }[] }[] };

function collect(req: RawRequest, encoding: 'protobuf' | 'json'): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of req.resource_spans ?? req.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    const scopes = ('scope_spans' in rs ? rs.scope_spans : (rs as { scopeSpans?: { spans?: RawSpan[] }[] }).scopeSpans) ?? [];
    for (const ss of scopes) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.trace_id ?? s.traceId),
          spanId: hex(s.span_id ?? s.spanId),
          parentSpanId: hex(s.parent_span_id ?? s.parentSpanId),
          name: s.name,
          kind: s.kind,
          statusCode: s.status?.code ?? 0,
          attributes: attrs(s.attributes),
          resource,
          encoding,
        });
      }
    }
  }
  return out;
}

/**
 * An OTLP/HTTP collector for tests. `mode = 'hang'` accepts requests and never answers (a stuck
 * collector); otherwise it decodes protobuf or JSON bodies and records the spans.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly server: Server;
  mode: 'ok' | 'hang' = 'ok';
  private readonly hung = new Set<ServerResponse>();
  port = 0;

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  static async start(mode: 'ok' | 'hang' = 'ok'): Promise<OtlpReceiver> {
    const r = new OtlpReceiver();
    r.mode = mode;
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.port = (r.server.address() as AddressInfo).port;
    return r;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Export requests held open in hang mode. */
  get hungRequests(): number {
    return this.hung.size;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.mode === 'hang') {
        this.hung.add(res);
        return;
      }
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'] ?? '';
      if (type.includes('json')) {
        this.spans.push(...collect(JSON.parse(body.toString('utf8')) as RawRequest, 'json'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        const decoded = ExportRequest.toObject(ExportRequest.decode(body), { longs: Number }) as RawRequest;
        this.spans.push(...collect(decoded, 'protobuf'));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      }
    });
  }

  /** Polls until `pred` holds for the collected spans (export is batched and asynchronous). */
  async waitFor(pred: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.spans)) {
      if (Date.now() > deadline) throw new Error(`spans not received within ${timeoutMs} ms; got ${JSON.stringify(this.spans.map((s) => s.name))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
