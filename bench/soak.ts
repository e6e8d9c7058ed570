import { runLoad } from './load.ts';
import { treePeakRssMb, treeRssMb } from './proc-stats.ts';

/** RSS over a long constant load: the first minute against the last shows whether memory grows. */
export interface SoakResult {
  readonly seconds: number;
  readonly rps: number;
  readonly errors: number;
  /** The second minute from 3-minute soaks on, else the first window. */
  readonly firstMinute: { readonly meanMb: number; readonly maxMb: number };
  readonly lastMinute: { readonly meanMb: number; readonly maxMb: number };
  /** (last mean − first mean) ÷ first mean. */
  readonly growth: number;
  readonly peakRssMb: number;
}

export async function soak(o: { pid: number; url: string; host: string; connections: number; seconds: number; loadCore: number | undefined }): Promise<SoakResult> {
  const samples: { t: number; mb: number }[] = [];
  const t0 = performance.now();
  const timer = setInterval(() => samples.push({ t: (performance.now() - t0) / 1000, mb: treeRssMb(o.pid) }), 1000);
  const load = await runLoad({ url: o.url, host: o.host, connections: o.connections, seconds: o.seconds, core: o.loadCore });
  clearInterval(timer);
  const window = Math.min(60, o.seconds / 2);
  const stats = (xs: number[]) => ({ meanMb: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), maxMb: Math.max(...xs) });
  // From 3 minutes on, the second minute is the reference: the first holds the young generation's growth to its size.
  const early = o.seconds >= 180 ? (t: number) => t > 60 && t <= 120 : (t: number) => t <= window;
  const first = stats(samples.filter((s) => early(s.t)).map((s) => s.mb));
  const last = stats(samples.filter((s) => s.t > o.seconds - window).map((s) => s.mb));
  return {
    seconds: o.seconds,
    rps: load.rps,
    errors: load.errors,
    firstMinute: first,
    lastMinute: last,
    growth: (last.meanMb - first.meanMb) / first.meanMb,
    peakRssMb: treePeakRssMb(o.pid),
  };
}
