/**
 * Keep-best and early stopping on validation loss. The whole state is plain numbers, so it goes into the
 * checkpoint and a resumed run stops exactly where the straight run would have.
 */
export interface EarlyStoppingState {
  bestLoss: number | null;
  bestStep: number | null;
  /** Validations since the last improvement. */
  sinceBest: number;
}

export interface ValidationVerdict {
  /** This validation is the best so far (the caller keeps this adapter). */
  improved: boolean;
  /** Patience is used up: the run should stop. */
  stop: boolean;
}

export class EarlyStopping {
  private s: EarlyStoppingState = { bestLoss: null, bestStep: null, sinceBest: 0 };

  /**
   * @param patience validations without improvement before stopping; 0 = never stop early
   * @param minDelta how much lower than the best a loss must be to count as an improvement
   */
  constructor(
    readonly patience: number,
    readonly minDelta = 0,
  ) {
    if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`early stopping: patience ${patience} is not a non-negative integer`);
    if (!(minDelta >= 0)) throw new RangeError(`early stopping: minDelta ${minDelta} is negative or NaN`);
  }

  observe(loss: number, step: number): ValidationVerdict {
    const improved = Number.isFinite(loss) && (this.s.bestLoss === null || loss < this.s.bestLoss - this.minDelta);
    if (improved) this.s = { bestLoss: loss, bestStep: step, sinceBest: 0 };
    else this.s = { ...this.s, sinceBest: this.s.sinceBest + 1 };
    return { improved, stop: this.patience > 0 && this.s.sinceBest >= this.patience };
  }

  get state(): EarlyStoppingState {
    return { ...this.s };
  }

  set state(value: EarlyStoppingState) {
    this.s = { ...value };
  }
}
