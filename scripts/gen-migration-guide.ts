// Writes docs/migration-from-ingress-nginx.md from the annotation registry (src/translate/nginx/).
import { writeFileSync } from 'node:fs';
import { migrationGuide } from '../src/translate/nginx/guide.ts';

writeFileSync(new URL('../docs/migration-from-ingress-nginx.md', import.meta.url), migrationGuide());
