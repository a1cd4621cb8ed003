/**
 * The trainer's seeded random numbers (adapter initialisation, dropout seeds): sfc32, four 32-bit words of
 * state, so a checkpoint can store the state and a resumed run draws exactly the same numbers.
 */
export class SeededRandom {
  private constructor(private readonly s: Uint32Array) {}

  static fromSeed(seed: number): SeededRandom {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`the trainer seed must be an integer, got ${seed}`);
    // splitmix32 spreads a small seed over the four words; the warm-up rounds leave sfc32's weak start behind.
    let x = (seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000);
    const word = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    const rng = new SeededRandom(Uint32Array.from([word(), word(), word(), word()]));
    for (let i = 0; i < 12; i++) rng.nextU32();
    return rng;
  }

  static fromState(state: readonly number[]): SeededRandom {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new RangeError(`trainer RNG state must be four 32-bit words, got [${state.join(', ')}]`);
    }
    return new SeededRandom(Uint32Array.from(state));
  }

  get state(): number[] {
    return Array.from(this.s);
  }

  nextU32(): number {
    const s = this.s;
    const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
    s[3] = (s[3] + 1) >>> 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) >>> 0;
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
    s[2] = (s[2] + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }
}
