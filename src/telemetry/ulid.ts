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
  /** Encoded time prefix and random part, kept between calls: the hot path only re-encodes what changed. */
  private timeText = '';
  private randText = '';
  /** Random bytes drawn 4 KiB at a time: one syscall per 256 new milliseconds instead of one per millisecond. */
  private readonly pool = new Uint8Array(4096);
  private poolOffset = 4096;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  next(): string {
    const t = this.now();
    if (t <= this.lastTime) {
      this.increment();
    } else {
      this.lastTime = t;
      if (this.poolOffset + 16 > this.pool.length) {
        randomFillSync(this.pool);
        this.poolOffset = 0;
      }
      let r = '';
      for (let i = 0; i < 16; i++) {
        this.rand[i] = this.pool[this.poolOffset + i] & 31;
        r += ALPHABET[this.rand[i]];
      }
      this.poolOffset += 16;
      this.randText = r;
      this.timeText = encodeTime(t);
    }
    return this.timeText + this.randText;
  }

  private increment(): void {
    for (let i = 15; i >= 0; i--) {
      if (this.rand[i] < 31) {
        this.rand[i]++;
        let tail = '';
        for (let j = i; j < 16; j++) tail += ALPHABET[this.rand[j]];
        this.randText = this.randText.slice(0, i) + tail;
        return;
      }
      this.rand[i] = 0;
    }
    // 2^80 ids in one millisecond: move to the next millisecond rather than wrap (and go backwards).
    this.lastTime++;
    this.timeText = encodeTime(this.lastTime);
    this.randText = ALPHABET[0].repeat(16);
  }
}

function encodeTime(ms: number): string {
  let t = ms;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}
