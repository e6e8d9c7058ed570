import type { RequestEvent } from './request-event.ts';
import { loadSchema } from './schemas.ts';

export type EventSerializer = (event: RequestEvent) => string;

interface Schema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
}

type Projection = (value: unknown) => unknown;

/**
 * A copy of `value` holding only what `schema` declares, in the schema's order: objects keep their
 * declared properties (recursively), arrays their items; a leaf is kept as it is, except an object
 * where the schema wants a scalar, which is written as a string (it must not smuggle its fields in).
 */
function projection(schema: Schema): Projection {
  if (schema.properties !== undefined) {
    const fields = Object.entries(schema.properties).map(([key, s]) => [key, projection(s)] as const);
    return (value) => {
      if (value === null || typeof value !== 'object') return value;
      const out: Record<string, unknown> = {};
      for (const [key, project] of fields) {
        const v = (value as Record<string, unknown>)[key];
        if (v !== undefined) out[key] = project(v);
      }
      return out;
    };
  }
  if (schema.items !== undefined) {
    const item = projection(schema.items);
    return (value) => (Array.isArray(value) ? value.map(item) : value);
  }
  const types = schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;
  const structured = types.length === 0 || types.includes('object') || types.includes('array');
  return structured ? (value) => value : (value) => (value !== null && typeof value === 'object' ? String(value) : value);
}

/**
 * The request-event serializer, derived once from schemas/request-event.v1.json: properties the schema
 * does not declare are never written, a second guarantee that no stray header can reach an event. It
 * projects the event onto the schema and hands the copy to JSON.stringify — measured in
 * bench/telemetry.ts, on Node 24 JSON.stringify is as fast for this shape as a compiled writer
 * (fast-json-stringify was used before: same output, but it and ajv cost each telemetry thread ~12 MB).
 */
export function compileRequestEventSerializer(): EventSerializer {
  const project = projection(loadSchema('request-event.v1') as Schema);
  return (event) => JSON.stringify(project(event));
}
