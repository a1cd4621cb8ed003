/**
 * The engine's training surface, as the training loop (src/train) sees it. The loop never touches GPU buffers:
 * it hands TokenBatches in, asks for an optimizer step with the step's hyperparameters, and reads metrics and
 * host copies of state back. Implemented by the LoRA trainer in this folder.
 */
import type { TokenBatch } from '../../data/batch-types';
import type { Ia3Settings, LoraSettings, LoraTarget } from '../../model/lora-targets';

export interface TrainerOptions {
  lora: LoraSettings;
  /** Train IA³ vectors instead of LoRA matrices (`lora` is then unused). */
  ia3?: Ia3Settings;
  /** Prompt tuning instead: P virtual-token embeddings before every sequence (`lora` is then unused). */
  prompt?: PromptSettings;
  /** LoRA dropout probability on the adapter's input (0 = off). */
  dropout: number;
  /** Largest number of token slots one micro-batch holds (activations are planned for it once). */
  maxTokens: number;
  /** Recompute each layer's activations in backward instead of keeping them (gradient checkpointing). */
  checkpointing: boolean;
  /** Seeds the adapter initialisation (PEFT's: A Kaiming-uniform, B zero) and dropout masks. */
  seed: number;
  /**
   * Benchmarks only: wait for the GPU between the forward, backward and optimizer phases and report each
   * phase's wall time in StepMetrics.timings (the waits make a step slower).
   */
  profile?: boolean;
}

/** Wall-clock milliseconds of one optimizer step's phases (with `profile`), summed over its micro-batches. */
export interface PhaseTimings {
  forwardMs: number;
  backwardMs: number;
  optimizerMs: number;
}

/** One adapted projection's matrices as host copies, in the base model's own row layout (as loaded). */
export interface AdapterMatrices {
  layer: number;
  target: LoraTarget;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  a: Float32Array; // [r, in]
  b: Float32Array; // [out, r]
  /** DoRA's magnitude [out] (LoraSettings.dora), in the same row layout as B. */
  magnitude?: Float32Array;
}

/** One projection's IA³ vector as a host copy: [out] on the output side, [in] on a feed-forward module's input. */
/**
 * Prompt tuning (Lester et al. 2021, PEFT's PROMPT_TUNING): `init` holds P token ids whose embeddings start the
 * prompt (PEFT's TEXT init: the text's tokens repeated to P; SAMPLE_VOCAB: ids drawn from the vocabulary).
 */
export interface PromptSettings {
  virtualTokens: number;
  init: Uint32Array;
}

export interface Ia3VectorCopy {
  layer: number;
  target: LoraTarget;
  side: 'output' | 'input';
  l: Float32Array;
}

/** Bytes the trainer holds on the GPU, and the allocator's peak (whole context, weights included). */
export interface TrainerMemory {
  /** Adapter parameters, gradients, AdamW moments, activations and loss scratch. */
  trainerBytes: number;
  adapterBytes: number;
  activationBytes: number;
  /** The context allocator's peak reserved bytes since it was made or last reset. */
  peakBytes: number;
}

export interface OptimizerHyperparameters {
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clipping threshold; 0 or Infinity = no clipping. */
  maxGradNorm: number;
  /**
   * LoRA+ (Hayou et al. 2024, PEFT's create_loraplus_optimizer): the B matrices step with learningRate times
   * this ratio (weight decay included); 1 = plain LoRA, one learning rate for A and B.
   */
  loraPlusRatio: number;
}

/** What one optimizer step (after its micro-batches) reports; read back from one small metrics buffer. */
export interface StepMetrics {
  /** Mean cross-entropy over the step's trained tokens. */
  loss: number;
  trainedTokens: number;
  /** Global L2 norm of the adapter gradients before clipping. */
  gradNorm: number;
  /** False when the loss or the gradient norm was NaN/Inf: the update was skipped and the gradients dropped. */
  finite: boolean;
  /** The factor the gradients were multiplied by (min(1, maxGradNorm / (‖g‖ + 1e-6))); 1 without clipping. */
  clipScale: number;
  /** AdamW steps taken so far (unchanged by a skipped step). */
  step: number;
  /** Only with TrainerOptions.profile. */
  timings?: PhaseTimings;
}

export interface EvalMetrics {
  lossSum: number;
  trainedTokens: number;
}

/**
 * How the parameter block orders its matrices: 'a-then-b' (every A, layer by layer, then every B, then DoRA's
 * magnitudes, so the Bs and magnitudes are one tail the optimizer can give its own learning rate); 'interleaved', each layer's A then B, was the layout
 * before LoRA+ and is what a checkpoint without a layout holds.
 */
export type ParameterLayout = 'a-then-b' | 'interleaved';

/** Host copies of the adapter and optimizer state, for checkpoints and resume (bit-exact round trip). */
export interface TrainerState {
  /** AdamW steps taken (bias correction uses it). */
  step: number;
  /** The order of the matrices in params, m and v. */
  layout: ParameterLayout;
  /** Flat f32 copies of the parameter block's buffers (same layout as on the GPU). */
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** Dropout RNG state, so a resumed run draws the same masks. */
  rngState: number[];
}

/**
 * The LoRA trainer as the loop drives it. Loss normalisation: the loss of an optimizer step is the mean over all
 * trained tokens of all its micro-batches, so every `accumulate` is told that total (`stepTrainedTokens`, the
 * sum of the step's batches' trainedTokens) and scales its gradient by 1/total; `step` checks the totals agree.
 */
export interface Trainer {
  /** Forward and backward of one micro-batch, adding into the gradients. Records and submits; waits only when profiling. */
  accumulate(batch: TokenBatch, stepTrainedTokens?: number): Promise<void>;
  /** Gradient norm, clipping, AdamW, zeroed gradients; skips the update when the loss or norm is not finite. */
  step(hp: OptimizerHyperparameters): Promise<StepMetrics>;
  /** Forward only (no gradients, no dropout). */
  evaluate(batch: TokenBatch): Promise<EvalMetrics>;
  exportState(): Promise<TrainerState>;
  importState(state: TrainerState): void;
  adapterWeights(): Promise<AdapterMatrices[]>;
  setAdapterWeights(matrices: readonly AdapterMatrices[]): void;
  memory(): TrainerMemory;
  dispose(): void;
}
