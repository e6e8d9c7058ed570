import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** ajv (JSON Schema 2020-12) validators for the event contracts in `schemas/`. */
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../schemas/${name}.json`, import.meta.url), 'utf8')) as object;
const validators = {
  request: ajv.compile(load('request-event.v1')),
  backend: ajv.compile(load('backend-event.v1')),
  config: ajv.compile(load('config-event.v1')),
};

export function assertValidEvent(kind: keyof typeof validators, event: unknown): void {
  const validate = validators[kind];
  const ok = validate(event);
  assert.ok(ok, `${kind} event does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(event)}`);
}

export interface RequestEventJson {
  id: string;
  timestamp: string;
  severity: string;
  outcome: string;
  error?: { code: string; message: string };
  context: { namespace?: string; trace_id: string; span_id: string; entities: { kind: string; id: string; name: string }[]; correlation_keys: string[] };
  data: {
    request_id: string; method: string; host: string; path: string; status_code: number; duration_ms: number; attempts: number; bytes_in: number; bytes_out: number;
    route?: { ingress: string; host: string; path: string; path_type: string };
    backend?: { service: string; service_port: string; pod?: string; pod_ip?: string; pod_port?: number };
  };
}

/** Validates and returns the request events of a parsed JSON array. */
export function validRequestEvents(value: unknown): RequestEventJson[] {
  assert.ok(Array.isArray(value), 'expected a JSON array of events');
  for (const e of value) assertValidEvent('request', e);
  return value as RequestEventJson[];
}
