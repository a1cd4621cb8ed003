/**
 * A training run's settings: one plain, JSON-serialisable object, stored in every checkpoint so `--resume` can
 * refuse to continue a run with different settings. `checkTrainingConfig` turns bad values into specific errors
 * before anything touches the GPU.
 */
import type { ModelConfig } from '../model/config';
import { LORA_TARGETS, type LoraTarget } from '../gpu/lora/lora-linear';
import { SCHEDULE_KINDS, type ScheduleKind } from './schedule';

export interface TrainingConfig {
  // LoRA
  rank: number;
  alpha: number;
  rsLora: boolean;
  targets: LoraTarget[];
  dropout: number;
  // AdamW
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clipping threshold (0 = off). */
  maxGradNorm: number;
  // Schedule
  schedule: ScheduleKind;
  warmupSteps: number;
  /** Final learning rate of linear/cosine decay, as a fraction of the peak. */
  minLrRatio: number;
  // Batches
  /** Sequences per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimizer step. */
  gradAccum: number;
  /** Longest sequence in tokens; longer examples are truncated (and counted). */
  seqLen: number;
  /** An example longer than seqLen: cut it (and count it), or refuse the dataset naming the examples. */
  overLength: 'truncate' | 'refuse';
  /** Pack several short examples into one sequence slot (they never attend to each other). */
  pack: boolean;
  /** Train on prompt/user tokens too, not only the completion/assistant tokens. */
  trainOnInputs: boolean;
  // Length: exactly one of maxSteps / epochs is set
  maxSteps: number | null;
  epochs: number | null;
  // Validation, checkpoints
  valSplit: number;
  /** Optimizer steps between validations (0 = only at the end). */
  evalEvery: number;
  /** Optimizer steps between checkpoints (0 = only at the end). */
  saveEvery: number;
  /** Validations without improvement before stopping (0 = never stop early). */
  patience: number;
  /** Export the adapter of the best validation loss rather than the last one. */
  keepBest: boolean;
  // Engine
  seed: number;
  checkpointing: boolean;
  quant: 'none' | 'nf4';
}

export const DEFAULT_TRAINING_CONFIG: TrainingConfig = {
  rank: 8,
  alpha: 16,
  rsLora: false,
  targets: [...LORA_TARGETS],
  dropout: 0,
  learningRate: 2e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1,
  schedule: 'cosine',
  warmupSteps: 0,
  minLrRatio: 0,
  batchSize: 4,
  gradAccum: 1,
  seqLen: 256,
  overLength: 'truncate',
  pack: false,
  trainOnInputs: false,
  maxSteps: null,
  epochs: 1,
  valSplit: 0.1,
  evalEvery: 50,
  saveEvery: 100,
  patience: 0,
  keepBest: true,
  seed: 0,
  checkpointing: false,
  quant: 'none',
};

/** A setting that cannot work; `setting` names it (CLI: the flag without dashes). */
export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

function need(ok: boolean, setting: string, problem: string): void {
  if (!ok) throw new TrainingConfigError(setting, problem);
}

const isInt = (n: number, min: number) => Number.isInteger(n) && n >= min;

export function checkTrainingConfig(c: TrainingConfig): void {
  need(isInt(c.rank, 1), 'rank', `${c.rank} is not a positive integer`);
  need(Number.isFinite(c.alpha) && c.alpha > 0, 'alpha', `${c.alpha} is not a positive number`);
  need(c.targets.length > 0, 'targets', 'no layer is targeted; name at least one of q,k,v,o,gate,up,down');
  for (const t of c.targets) need(LORA_TARGETS.includes(t), 'targets', `'${t}' is not one of ${LORA_TARGETS.join(',')}`);
  need(new Set(c.targets).size === c.targets.length, 'targets', `${c.targets.join(',')} names a layer twice`);
  need(c.dropout >= 0 && c.dropout < 1, 'dropout', `${c.dropout} is not in [0, 1)`);
  need(
    Number.isFinite(c.learningRate) && c.learningRate > 0,
    'lr',
    Number.isNaN(c.learningRate) ? 'NaN is not a learning rate' : `${c.learningRate} must be a positive finite number (0 would not train)`,
  );
  need(c.beta1 >= 0 && c.beta1 < 1, 'beta1', `${c.beta1} is not in [0, 1)`);
  need(c.beta2 >= 0 && c.beta2 < 1, 'beta2', `${c.beta2} is not in [0, 1)`);
  need(Number.isFinite(c.eps) && c.eps > 0, 'eps', `${c.eps} is not a positive number`);
  need(Number.isFinite(c.weightDecay) && c.weightDecay >= 0, 'weight-decay', `${c.weightDecay} is not ≥ 0`);
  need(c.maxGradNorm >= 0, 'max-grad-norm', `${c.maxGradNorm} is not ≥ 0 (0 turns clipping off)`);
  need(SCHEDULE_KINDS.includes(c.schedule), 'schedule', `'${c.schedule}' is not one of ${SCHEDULE_KINDS.join(', ')}`);
  need(isInt(c.warmupSteps, 0), 'warmup', `${c.warmupSteps} is not a non-negative integer`);
  need(c.minLrRatio >= 0 && c.minLrRatio <= 1, 'min-lr-ratio', `${c.minLrRatio} is not in [0, 1]`);
  need(isInt(c.batchSize, 1), 'batch', `${c.batchSize} is not a positive integer`);
  need(isInt(c.gradAccum, 1), 'grad-accum', `${c.gradAccum} is not a positive integer`);
  need(isInt(c.seqLen, 2), 'seq-len', `${c.seqLen} is not an integer ≥ 2 (one token to read, one to predict)`);
  need(c.overLength === 'truncate' || c.overLength === 'refuse', 'over-length', `'${c.overLength}' is not truncate or refuse`);
  need((c.maxSteps === null) !== (c.epochs === null), 'steps', 'give exactly one of --steps and --epochs');
  if (c.maxSteps !== null) need(isInt(c.maxSteps, 1), 'steps', `${c.maxSteps} is not a positive integer`);
  if (c.epochs !== null) need(Number.isFinite(c.epochs) && c.epochs > 0, 'epochs', `${c.epochs} is not a positive number`);
  need(c.valSplit >= 0 && c.valSplit < 1, 'val-split', `${c.valSplit} is not in [0, 1)`);
  need(isInt(c.evalEvery, 0), 'eval-every', `${c.evalEvery} is not a non-negative integer`);
  need(isInt(c.saveEvery, 0), 'save-every', `${c.saveEvery} is not a non-negative integer`);
  need(isInt(c.patience, 0), 'patience', `${c.patience} is not a non-negative integer`);
  need(isInt(c.seed, 0) && c.seed < 2 ** 32, 'seed', `${c.seed} is not an integer in [0, 2^32)`);
  need(c.quant === 'none' || c.quant === 'nf4', 'quant', `'${c.quant}' is not none or nf4`);
}

/** The (out, in) dimensions of each target in this model. */
export function targetShapes(m: ModelConfig): Record<LoraTarget, { out: number; in: number }> {
  const q = m.numHeads * m.headDim;
  const kv = m.numKvHeads * m.headDim;
  const c = m.hiddenSize;
  const f = m.intermediateSize;
  return {
    q: { out: q, in: c },
    k: { out: kv, in: c },
    v: { out: kv, in: c },
    o: { out: c, in: q },
    gate: { out: f, in: c },
    up: { out: f, in: c },
    down: { out: c, in: f },
  };
}

/** A rank above a targeted layer's smaller dimension adds nothing a full update could not, and wastes memory. */
export function checkRankFits(c: TrainingConfig, m: ModelConfig): void {
  const shapes = targetShapes(m);
  for (const t of c.targets) {
    const { out, in: inp } = shapes[t];
    need(
      c.rank <= Math.min(out, inp),
      'rank',
      `${c.rank} is larger than the '${t}' projection's dimensions (${out}×${inp}); use --rank ≤ ${Math.min(out, inp)}`,
    );
  }
}

/**
 * Sliding-window attention (Mistral v0.1): the training kernels attend causally over the whole sequence, which is
 * the model's attention only while a sequence fits in the window, so longer sequences are refused.
 */
export function checkWindowFits(c: TrainingConfig, m: ModelConfig): void {
  if (m.slidingWindow === null) return;
  need(
    c.seqLen <= m.slidingWindow,
    'seqLen',
    `${c.seqLen} tokens is longer than the model's sliding attention window (${m.slidingWindow}); use --seq-len ≤ ${m.slidingWindow}`,
  );
}

/** The settings a resumed run must share with the checkpoint (the length of the run may grow). */
export function resumeIncompatibilities(saved: TrainingConfig, now: TrainingConfig): string[] {
  const free = new Set<keyof TrainingConfig>(['maxSteps', 'epochs', 'evalEvery', 'saveEvery', 'patience', 'keepBest']);
  const out: string[] = [];
  for (const key of Object.keys(saved) as (keyof TrainingConfig)[]) {
    if (free.has(key)) continue;
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      out.push(`${key} was ${JSON.stringify(saved[key])}, now ${JSON.stringify(now[key])}`);
    }
  }
  return out;
}
