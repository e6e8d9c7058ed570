/** Counts requests in flight so shutdown can wait for them (up to the grace period). */
export class ActiveRequests {
  private count = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  inc(): void {
    this.count++;
  }

  dec(): void {
    this.count--;
    if (this.count === 0) {
      for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves true when no request is in flight, false if `timeoutMs` passed first. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }
}
