/** Requests currently in flight per endpoint (`ip:port`): least-request reads it, the admin API shows it. */
export class InFlight {
  private readonly counts = new Map<string, number>();

  inc(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  dec(key: string): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Endpoints with requests in flight now. */
  busy(): IterableIterator<string> {
    return this.counts.keys();
  }
}
