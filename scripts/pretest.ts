// `npm test` runs this first: it makes sure the programs the tests start (Chromium, nats-server,
// openssl) are there. As root with apt-get available it installs the missing ones; otherwise it stops
// at once with the exact command to run, instead of letting dozens of tests fail one by one later.
import { spawnSync } from 'node:child_process';
import { SYSTEM_TOOLS, findTool, installPlan } from './system-tools.ts';

function log(line: string): void {
  process.stdout.write(`pretest: ${line}\n`);
}

function run(command: string, args: readonly string[]): boolean {
  log(`${command} ${args.join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
}

function findAptGet(): string | undefined {
  return ['/usr/bin/apt-get', '/bin/apt-get'].find((p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0);
}

const missing = SYSTEM_TOOLS.filter((t) => findTool(t.name) === undefined);
const plan = installPlan(missing, process.getuid?.() === 0, missing.length > 0 ? findAptGet() : undefined);
if (plan.action === 'stop') {
  process.stderr.write(`pretest: ${plan.message}`);
  process.exit(1);
}
if (plan.action === 'apt-get') {
  log(`missing ${missing.map((t) => t.name).join(', ')}: installing with apt-get`);
  if (!run(plan.aptGet, ['update', '-qq']) || !run(plan.aptGet, ['install', '-y', '-qq', '--no-install-recommends', ...plan.packages])) {
    process.stderr.write(`pretest: apt-get failed; install by hand: apt-get install -y ${plan.packages.join(' ')}\n`);
    process.exit(1);
  }
}
const still = SYSTEM_TOOLS.filter((t) => findTool(t.name) === undefined);
if (still.length > 0) {
  process.stderr.write(`pretest: still missing after apt-get: ${still.map((t) => t.name).join(', ')}\n`);
  process.exit(1);
}
for (const t of SYSTEM_TOOLS) log(`${t.name} ${findTool(t.name)}`);
