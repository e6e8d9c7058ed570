import { readFileSync } from 'node:fs';

export type SchemaName = 'request-event.v1' | 'backend-event.v1' | 'config-event.v1';

/**
 * Reads a contract schema from `schemas/` (two levels up from both `src/telemetry` and `dist/telemetry`,
 * and shipped in the npm package's `files`).
 */
export function loadSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../schemas/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}
