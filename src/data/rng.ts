/**
 * The data pipeline's seeded random numbers (split and shuffle). sfc32: four 32-bit words of state, fast, good
 * enough for shuffling, and its whole state is a small array, so a checkpoint can store it and a resumed run
 * draws exactly the same numbers.
 */

export type RngState = [number, number, number, number];

export class DataRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state.map((x) => x >>> 0) as RngState;
  }

  /** A fresh generator from an integer seed (any safe integer; equal seeds give equal streams). */
  static fromSeed(seed: number): DataRng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`the data seed must be an integer, got ${seed}`);
    // splitmix32 spreads a small seed over all four words; the extra rounds leave sfc32's weak start behind.
    let s = (seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000);
    const mix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    const rng = new DataRng([mix(), mix(), mix(), mix()]);
    for (let i = 0; i < 12; i++) rng.nextU32();
    return rng;
  }

  /** A copy of the state: `new DataRng(rng.state())` continues the same stream. */
  state(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  /** Continues from a saved state (`state()`), in place. */
  setState(state: RngState): void {
    [this.a, this.b, this.c, this.d] = state.map((x) => x >>> 0) as RngState;
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n), n ≤ 2³². The bias of the multiply-shift is below 2⁻³² · n: irrelevant for shuffles. */
  below(n: number): number {
    return Math.floor((this.nextU32() / 0x1_0000_0000) * n);
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

/** Whether a value read back from a checkpoint is a usable RNG state. */
export function isRngState(value: unknown): value is RngState {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    value.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff)
  );
}
