// Kept free of imports and of syntax newer than Node.js 18 understands: it runs before anything else
// so that an old Node.js gets one clear line instead of a TypeError from deep inside a dependency.

/** The oldest Node.js major version RAUTA runs on (package.json engines). */
export const MIN_NODE_MAJOR = 24;

/** One line telling what to do, or undefined when `version` (e.g. "20.20.2") is new enough. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined;
  return `rauta: Node.js ${MIN_NODE_MAJOR} or newer is needed, this is ${version.startsWith('v') ? version : `v${version}`}; install Node.js ${MIN_NODE_MAJOR} (https://nodejs.org/en/download), or in a RAUTA checkout run "npm install" and then "npx rauta", which use the Node.js ${MIN_NODE_MAJOR} that npm install brings`;
}
