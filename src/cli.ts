#!/usr/bin/env node
// The `rauta` command. This file only checks the Node.js version, then loads the real entry point with a
// dynamic import: a static import would load every dependency first, and on an old Node.js one of them
// fails with a TypeError before any check could run.
import { nodeVersionProblem } from './node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
await import('./run-cli.ts');
