import { ATT, ATTEMPT, HEADER, REQ, type SpanValue } from './span-record.ts';

/**
 * OTLP/protobuf for RAUTA's spans, written straight from the flat per-request runs (span-record.ts):
 * no ReadableSpan, attribute map, HrTime pair or context object per span. Field numbers and the order
 * in which fields are written follow opentelemetry-proto v1 (trace.proto, common.proto,
 * resource.proto, trace_service.proto) exactly as the SDK's own serializer writes them, so the bytes
 * are identical to what the SDK would have sent for the same spans (test/telemetry-otlp-encoder.test.ts
 * compares them byte for byte). The resource and scope are encoded once per exporter, not per batch.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Span.flags: the W3C trace flags plus "has is_remote" and "is_remote" (trace.proto SpanFlags). */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;
/** Span.kind: the proto enum is the API's SpanKind + 1 (0 is UNSPECIFIED). */
const KIND_SERVER = 2;
const KIND_CLIENT = 3;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

/** ASCII code → hex digit value (0 for anything else; ids are validated lowercase hex upstream). */
const HEX = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[97 + i] = 10 + i;
  HEX[65 + i] = 10 + i;
}

/** A growable byte buffer with protobuf primitives; length prefixes are minimal varints. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** Non-negative integers up to 2^53. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let lo = v >>> 0;
    let hi = v > 0xffffffff ? Math.floor(v / 0x100000000) >>> 0 : 0;
    while (hi > 0 || lo > 0x7f) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[this.pos++] = lo;
  }

  fixed32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v & 0xff;
    b[p++] = (v >>> 8) & 0xff;
    b[p++] = (v >>> 16) & 0xff;
    b[p++] = (v >>> 24) & 0xff;
    this.pos = p;
  }

  fixed64(lo: number, hi: number): void {
    this.fixed32(lo);
    this.fixed32(hi);
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  string(s: string): void {
    // Most values are short ASCII: copied by this loop (a native call per string costs more than the
    // copy). Anything else goes through the UTF-8 encoder.
    const n = s.length;
    if (n < 128) {
      this.ensure(1 + n);
      const b = this.buf;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        b[p++] = c;
      }
      if (i === n) {
        b[start] = n;
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** Bytes prepared once (e.g. an attribute key with its tag and length). */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i];
    this.pos = p;
  }

  /** Lowercase hex (trace and span ids) as raw bytes. */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.ensure(1 + n);
    const b = this.buf;
    let p = this.pos;
    b[p++] = n;
    for (let i = 0; i < n; i++) b[p++] = (HEX[hex.charCodeAt(2 * i)] << 4) | HEX[hex.charCodeAt(2 * i + 1)];
    this.pos = p;
  }

  /** Reserves one byte for a length; `end` fixes it up (moving the body when the length needs more). */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  end(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    let size = 1;
    for (let v = len; v >= 0x80; v >>>= 7) size++;
    this.ensure(size - 1);
    this.buf.copy(this.buf, at + size, at + 1, this.pos);
    this.pos += size - 1;
    let p = at;
    let v = len;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** The bytes written so far (a view; copy before reusing the writer). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}

/** Epoch ms → unix nanoseconds as fixed64, rounded exactly as the SDK's HrTime conversion rounds. */
function writeTimeMs(w: ProtoWriter, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6));
  // seconds * 1e9 exceeds 2^53 for current dates: split as the SDK does to stay exact.
  const low16 = seconds & 0xffff;
  const upper = (seconds / 0x10000) >>> 0;
  const fromLow = low16 * 1e9;
  const fromUpper = upper * 1e9;
  const lowSum = (fromLow >>> 0) + (((fromUpper & 0xffff) * 0x10000) >>> 0) + nanos;
  const lo = lowSum >>> 0;
  const carry = Math.floor(lowSum / 0x100000000);
  const hi = (Math.floor(fromLow / 0x100000000) + ((fromUpper / 0x10000) >>> 0) + carry) >>> 0;
  w.fixed64(lo, hi);
}

/** `KeyValue.key` (tag, length, bytes) for each attribute name: the names are fixed, so encoded once. */
const keyBytes = new Map<string, Uint8Array>();
function keyOf(key: string): Uint8Array {
  let b = keyBytes.get(key);
  if (b === undefined) {
    const w = new ProtoWriter(key.length * 3 + 8);
    w.tag(1, WIRE_LEN);
    w.string(key);
    b = new Uint8Array(w.view());
    keyBytes.set(key, b);
  }
  return b;
}

/** KeyValue in a repeated field: `field` { key, value { string_value } }. */
function attrString(w: ProtoWriter, field: number, key: string, value: string): void {
  w.tag(field, WIRE_LEN);
  const kv = w.begin();
  w.raw(keyOf(key));
  w.tag(2, WIRE_LEN);
  const any = w.begin();
  w.tag(1, WIRE_LEN);
  w.string(value);
  w.end(any);
  w.end(kv);
}

/** KeyValue with an int_value (numbers are integers here: status codes, ports, counts). */
function attrInt(w: ProtoWriter, field: number, key: string, value: number): void {
  w.tag(field, WIRE_LEN);
  const kv = w.begin();
  w.raw(keyOf(key));
  w.tag(2, WIRE_LEN);
  const any = w.begin();
  if (Number.isInteger(value) && value >= 0) {
    w.tag(3, WIRE_VARINT);
    w.varint(value);
  } else {
    w.tag(4, WIRE_FIXED64);
    w.double(value);
  }
  w.end(any);
  w.end(kv);
}

function status(w: ProtoWriter, code: number, message: SpanValue): void {
  w.tag(15, WIRE_LEN);
  const at = w.begin();
  if (typeof message === 'string' && message !== '') {
    w.tag(2, WIRE_LEN);
    w.string(message);
  }
  w.tag(3, WIRE_VARINT);
  w.varint(code);
  w.end(at);
}

/** The counters every span carries as zero (dropped attributes, events, links). */
function dropped(w: ProtoWriter, field: number): void {
  w.tag(field, WIRE_VARINT);
  w.varint(0);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

const str = (v: SpanValue): string => v as string;
const num = (v: SpanValue): number => v as number;

/**
 * Appends the Span messages (each as ScopeSpans.spans, field 2) of every request in a flat batch, and
 * returns how many spans were written. Per request: the SERVER span (`METHOD <route path>`) and one
 * CLIENT span per upstream attempt, with the stable HTTP semantic-convention attributes and the older
 * names URPO queries — the same spans `readRequestSpans` describes for the SDK.
 */
export function writeRequestSpans(w: ProtoWriter, v: readonly SpanValue[]): number {
  let spans = 0;
  for (let i = 0; i < v.length; ) {
    const traceId = str(v[i + REQ.traceId]);
    const serverSpanId = str(v[i + REQ.spanId]);
    const parentSpanId = v[i + REQ.parentSpanId];
    const traceState = v[i + REQ.traceState];
    const startMs = num(v[i + REQ.startMs]);
    const endMs = num(v[i + REQ.endMs]);
    const method = str(v[i + REQ.method]);
    const statusCode = num(v[i + REQ.statusCode]);
    const path = str(v[i + REQ.path]);
    const scheme = str(v[i + REQ.scheme]);
    const routePath = v[i + REQ.routePath];
    const namespace = v[i + REQ.namespace];
    const service = v[i + REQ.service];
    const backendNamespace = v[i + REQ.backendNamespace];
    const pod = v[i + REQ.pod];
    const podIp = v[i + REQ.podIp];
    const errorCode = v[i + REQ.errorCode];

    w.tag(2, WIRE_LEN);
    const span = w.begin();
    w.tag(1, WIRE_LEN);
    w.hexBytes(traceId);
    w.tag(2, WIRE_LEN);
    w.hexBytes(serverSpanId);
    if (typeof traceState === 'string' && traceState !== '') {
      w.tag(3, WIRE_LEN);
      w.string(traceState);
    }
    if (parentSpanId !== null) {
      w.tag(4, WIRE_LEN);
      w.hexBytes(str(parentSpanId));
    }
    w.tag(5, WIRE_LEN);
    w.string(routePath !== null ? `${method} ${routePath}` : method);
    w.tag(6, WIRE_VARINT);
    w.varint(KIND_SERVER);
    w.tag(7, WIRE_FIXED64);
    writeTimeMs(w, startMs);
    w.tag(8, WIRE_FIXED64);
    writeTimeMs(w, Math.max(startMs, endMs));
    attrString(w, 9, 'http.request.method', method);
    attrString(w, 9, 'http.method', method);
    attrInt(w, 9, 'http.response.status_code', statusCode);
    attrInt(w, 9, 'http.status_code', statusCode);
    attrString(w, 9, 'url.path', path);
    attrString(w, 9, 'url.scheme', scheme);
    attrString(w, 9, 'http.scheme', scheme);
    attrString(w, 9, 'http.target', str(v[i + REQ.target]));
    attrString(w, 9, 'server.address', stripPort(str(v[i + REQ.host])));
    attrString(w, 9, 'client.address', str(v[i + REQ.clientIp]));
    attrString(w, 9, 'network.protocol.version', str(v[i + REQ.protocol]).replace('HTTP/', ''));
    attrString(w, 9, 'user_agent.original', str(v[i + REQ.userAgent]));
    attrString(w, 9, 'rauta.request_id', str(v[i + REQ.requestId]));
    if (routePath !== null) {
      attrString(w, 9, 'http.route', str(routePath));
      const routeKind = v[i + REQ.routeKind];
      if (routeKind === null) attrString(w, 9, 'rauta.ingress', `${namespace}/${v[i + REQ.ingress]}`);
      else {
        attrString(w, 9, 'rauta.route.kind', str(routeKind));
        attrString(w, 9, 'rauta.route.name', `${namespace}/${v[i + REQ.ingress]}`);
        if (v[i + REQ.routeRule] !== null) attrString(w, 9, 'rauta.route.rule', str(v[i + REQ.routeRule]));
      }
      attrString(w, 9, 'k8s.namespace.name', str(namespace));
    }
    if (service !== null) {
      attrString(w, 9, 'k8s.service.name', str(service));
      if (pod !== null) attrString(w, 9, 'k8s.pod.name', str(pod));
      if (podIp !== null) attrString(w, 9, 'network.peer.address', str(podIp));
    }
    if (errorCode !== null) attrString(w, 9, 'error.type', str(errorCode));
    dropped(w, 10);
    dropped(w, 12);
    dropped(w, 14);
    if (v[i + REQ.failed] === true) status(w, STATUS_ERROR, v[i + REQ.errorMessage]);
    else status(w, STATUS_UNSET, null);
    w.tag(16, WIRE_FIXED32);
    w.fixed32(1 | FLAGS_HAS_IS_REMOTE | (parentSpanId !== null ? FLAGS_IS_REMOTE : 0));
    w.end(span);
    spans++;

    const attempts = num(v[i + REQ.attempts]);
    i += HEADER;
    for (let a = 0; a < attempts; a++, i += ATTEMPT) {
      const attempt = num(v[i + ATT.attempt]);
      const aPod = v[i + ATT.pod];
      const aStatus = v[i + ATT.statusCode];
      const aCode = v[i + ATT.errorCode];
      const failed = aCode !== null || (aStatus !== null && (aStatus as number) >= 500);
      const aStart = num(v[i + ATT.startMs]);
      w.tag(2, WIRE_LEN);
      const client = w.begin();
      w.tag(1, WIRE_LEN);
      w.hexBytes(traceId);
      w.tag(2, WIRE_LEN);
      w.hexBytes(str(v[i + ATT.spanId]));
      if (typeof traceState === 'string' && traceState !== '') {
        w.tag(3, WIRE_LEN);
        w.string(traceState);
      }
      w.tag(4, WIRE_LEN);
      w.hexBytes(serverSpanId);
      w.tag(5, WIRE_LEN);
      w.string(method);
      w.tag(6, WIRE_VARINT);
      w.varint(KIND_CLIENT);
      w.tag(7, WIRE_FIXED64);
      writeTimeMs(w, aStart);
      w.tag(8, WIRE_FIXED64);
      writeTimeMs(w, Math.max(aStart, num(v[i + ATT.endMs])));
      attrString(w, 9, 'http.request.method', method);
      attrString(w, 9, 'http.method', method);
      attrString(w, 9, 'server.address', str(v[i + ATT.ip]));
      attrInt(w, 9, 'server.port', num(v[i + ATT.port]));
      attrString(w, 9, 'url.path', path);
      attrString(w, 9, 'http.target', path);
      if (attempt > 1) attrInt(w, 9, 'http.request.resend_count', attempt - 1);
      if (aPod !== null) attrString(w, 9, 'k8s.pod.name', str(aPod));
      if (service !== null) {
        attrString(w, 9, 'k8s.namespace.name', str(backendNamespace));
        attrString(w, 9, 'k8s.service.name', str(service));
      }
      if (aStatus !== null) {
        attrInt(w, 9, 'http.response.status_code', num(aStatus));
        attrInt(w, 9, 'http.status_code', num(aStatus));
      }
      if (failed) attrString(w, 9, 'error.type', aCode !== null ? str(aCode) : String(aStatus));
      dropped(w, 10);
      dropped(w, 12);
      dropped(w, 14);
      if (failed) status(w, STATUS_ERROR, v[i + ATT.errorMessage]);
      else status(w, STATUS_UNSET, null);
      w.tag(16, WIRE_FIXED32);
      // The parent (RAUTA's SERVER span) is local: "has is_remote", not remote.
      w.fixed32(1 | FLAGS_HAS_IS_REMOTE);
      w.end(client);
      spans++;
    }
  }
  return spans;
}

/**
 * The part of an ExportTraceServiceRequest that is the same for every batch: ResourceSpans.resource
 * (its attributes, dropped_attributes_count 0) and ScopeSpans.scope (`rauta`).
 */
export interface EnvelopeParts {
  readonly resource: Buffer;
  readonly scope: Buffer;
}

export function encodeEnvelopeParts(resourceAttributes: Readonly<Record<string, string>>, scopeName: string): EnvelopeParts {
  const w = new ProtoWriter(1024);
  w.tag(1, WIRE_LEN);
  const res = w.begin();
  for (const [key, value] of Object.entries(resourceAttributes)) attrString(w, 1, key, value);
  w.tag(2, WIRE_VARINT);
  w.varint(0);
  w.end(res);
  const resource = Buffer.from(w.view());
  w.reset();
  w.tag(1, WIRE_LEN);
  const scope = w.begin();
  w.tag(1, WIRE_LEN);
  w.string(scopeName);
  w.end(scope);
  return { resource, scope: Buffer.from(w.view()) };
}

function varintBytes(v: number): Buffer {
  const w = new ProtoWriter(10);
  w.varint(v);
  return Buffer.from(w.view());
}

/**
 * ExportTraceServiceRequest { resource_spans: [ { resource, scope_spans: [ { scope, spans… } ] } ] }
 * around already-encoded Span messages, as a list of buffers for one `write` each (no copy of the spans).
 */
export function exportRequestChunks(parts: EnvelopeParts, spans: Buffer): Buffer[] {
  const scopeSpansLen = parts.scope.length + spans.length;
  const scopeSpansHead = Buffer.concat([Buffer.from([(2 << 3) | WIRE_LEN]), varintBytes(scopeSpansLen)]);
  const resourceSpansLen = parts.resource.length + scopeSpansHead.length + scopeSpansLen;
  const head = Buffer.concat([Buffer.from([(1 << 3) | WIRE_LEN]), varintBytes(resourceSpansLen), parts.resource, scopeSpansHead, parts.scope]);
  return [head, spans];
}
