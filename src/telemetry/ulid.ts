import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Monotonic ULIDs (https://github.com/ulid/spec): 48-bit ms time + 80 random bits, Crockford base32.
 * Within one millisecond the random part is incremented instead of redrawn, so ids sort in creation
 * order even at 100k events/s. One instance per event stream; no module state.
 */
export class UlidGenerator {
  private lastTime = -1;
  /** The 16 base32 digits (0..31) of the random part. */
  private readonly rand = new Uint8Array(16);
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  next(): string {
    let t = this.now();
    if (t <= this.lastTime) {
      t = this.lastTime;
      this.increment();
    } else {
      this.lastTime = t;
      randomFillSync(this.rand);
      for (let i = 0; i < 16; i++) this.rand[i] &= 31;
    }
    let time = '';
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32] + time;
      t = Math.floor(t / 32);
    }
    let out = time;
    for (let i = 0; i < 16; i++) out += ALPHABET[this.rand[i]];
    return out;
  }

  private increment(): void {
    for (let i = 15; i >= 0; i--) {
      if (this.rand[i] < 31) {
        this.rand[i]++;
        return;
      }
      this.rand[i] = 0;
    }
    // 2^80 ids in one millisecond: move to the next millisecond rather than wrap (and go backwards).
    this.lastTime++;
  }
}
