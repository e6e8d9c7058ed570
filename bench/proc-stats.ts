import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU and memory of a process tree, read from /proc (Linux). nginx is a master plus a worker, so every
 * figure covers the pid and its descendants.
 */
export function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number.parseInt(r.stdout ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 100;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** pid and all descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      const kids = readOr(`/proc/${p}/task/${t}/children`);
      if (kids) for (const k of kids.trim().split(/\s+/)) if (k !== '') queue.push(Number(k));
    }
  }
  return out;
}

/** utime + stime in clock ticks (fields 14 and 15 of /proc/<pid>/stat; the command name may hold spaces). */
function cpuTicksOf(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === undefined) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readOr(`/proc/${pid}/status`);
  const m = status?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

export function treeCpuTicks(pid: number): number {
  let sum = 0;
  for (const p of processTree(pid)) sum += cpuTicksOf(p);
  return sum;
}

/** Peak resident set (VmHWM) summed over the tree, in MB. */
export function treePeakRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) kb += statusKb(p, 'VmHWM');
  return kb / 1024;
}

/** Current resident set (VmRSS) summed over the tree, in MB. */
export function treeRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) kb += statusKb(p, 'VmRSS');
  return kb / 1024;
}

/** Measures CPU% of a process tree over an interval: start it, run the load, call the result. */
export function cpuMeter(pid: number, ticksPerSecond: number): () => number {
  const t0 = treeCpuTicks(pid);
  const w0 = performance.now();
  return () => {
    const ticks = treeCpuTicks(pid) - t0;
    const seconds = (performance.now() - w0) / 1000;
    return seconds > 0 ? (100 * ticks) / ticksPerSecond / seconds : 0;
  };
}

/** Busy share of the whole machine (all cores, 100% = one core), to show when other work competed. */
export function machineBusyMeter(): () => number {
  const read = () => {
    const cpu = (readOr('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  };
  const a = read();
  const cores = (readOr('/proc/stat') ?? '').split('\n').filter((l) => /^cpu\d/.test(l)).length || 1;
  return () => {
    const b = read();
    const dt = b.total - a.total;
    return dt > 0 ? (100 * cores * (b.busy - a.busy)) / dt : 0;
  };
}

/**
 * Proportional set size, MB: pages shared with other processes (the node binary's text, mapped by the
 * primary and every worker) counted as a share, so a pod's processes add up to what the pod holds once.
 */
function pssMb(pid: number): number {
  const m = readOr(`/proc/${pid}/smaps_rollup`)?.match(/^Pss:\s+(\d+) kB/m);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Every process of the tree with its current and peak resident set, and its PSS, MB (e.g. a primary and its workers). */
export function processRss(pid: number): { pid: number; rssMb: number; peakMb: number; pssMb: number; cmd: string }[] {
  return processTree(pid).map((p) => ({
    pid: p,
    rssMb: statusKb(p, 'VmRSS') / 1024,
    peakMb: statusKb(p, 'VmHWM') / 1024,
    pssMb: pssMb(p),
    cmd: (readOr(`/proc/${p}/cmdline`) ?? '').split('\0').filter(Boolean).map((a) => a.split('/').pop()).join(' ').slice(0, 60),
  }));
}
