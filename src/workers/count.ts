import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * The CPU quota of this process's cgroup (v2 `cpu.max`: "<quota> <period>" or "max <period>"), in
 * CPUs rounded up; undefined when there is none or it cannot be read (cgroup v1, not Linux).
 */
export function cgroupCpuLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  let dir = '';
  try {
    // "0::/kubepods/…" on cgroup v2; the limit may sit on the process's own group.
    const line = read('/proc/self/cgroup').split('\n').find((l) => l.startsWith('0::'));
    if (line !== undefined) dir = line.slice(3).trim();
  } catch {
    return undefined;
  }
  for (const path of [`/sys/fs/cgroup${dir === '/' ? '' : dir}/cpu.max`, '/sys/fs/cgroup/cpu.max']) {
    try {
      const [quota, period] = read(path).trim().split(/\s+/);
      if (quota === 'max') return undefined;
      const q = Number(quota);
      const p = Number(period);
      if (Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0) return Math.max(1, Math.ceil(q / p));
    } catch {
      // Try the next candidate.
    }
  }
  return undefined;
}

/**
 * `RAUTA_WORKERS`: a number as given, or `auto`: the CPUs this process may run on (affinity, which
 * `availableParallelism` respects) capped by the cgroup quota (what a pod's CPU limit becomes), at
 * least 1.
 */
export function resolveWorkers(setting: string, limits: { parallelism?: number; cgroup?: number | undefined } = {}): number {
  if (setting !== 'auto') return Math.max(1, Number.parseInt(setting, 10));
  const parallelism = limits.parallelism ?? availableParallelism();
  const quota = 'cgroup' in limits ? limits.cgroup : cgroupCpuLimit();
  return Math.max(1, Math.min(parallelism, quota ?? parallelism));
}
