/**
 * Coalesces bursts of changes: fires `holdMs` after the last change, but never later than `maxMs` after
 * the first one of a burst, so a steady trickle of updates cannot postpone a rebuild forever.
 */
export class Debouncer {
  private readonly holdMs: number;
  private readonly maxMs: number;
  private readonly fire: () => void;
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;

  constructor(holdMs: number, maxMs: number, fire: () => void) {
    this.holdMs = holdMs;
    this.maxMs = Math.max(maxMs, holdMs);
    this.fire = fire;
  }

  poke(): void {
    const now = performance.now();
    if (this.timer === undefined) this.firstAt = now;
    else clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.holdMs, this.firstAt + this.maxMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, delay);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
