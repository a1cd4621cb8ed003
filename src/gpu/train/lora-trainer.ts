/**
 * LoRA / QLoRA training of a Llama-family model on the GPU: a frozen base (dense f32 or quantized weights read by
 * the fused dequant kernels) with trainable adapters, llm.c's four functions in WebGPU: forward, backward (both in
 * `accumulate`), zero_grad and update (both in `step`). Everything — adapters, gradients, AdamW moments,
 * activations for `maxTokens`, loss scratch — is allocated once, here; a step records dispatches, submits, and
 * reads back one metrics buffer. Base weights are only ever bound as inputs: no kernel writes them.
 *
 * Loss normalisation: each `accumulate` scales its gradient by 1/stepTrainedTokens (the trained tokens of the whole
 * optimizer step, which the caller states), so after the step's micro-batches the gradient is that of the mean loss.
 */
import type { TokenBatch } from '../../data/batch-types';
import { ropeInverseFrequencies } from '../../model/rope-frequencies';
import type { GpuContext } from '../context';
import { adamwStep } from '../kernels/adamw';
import { embeddingForward } from '../kernels/embedding';
import { gradNormPartials, gradNormSquared } from '../kernels/grad_norm';
import { residualAccumulate } from '../kernels/residual';
import { loraScale } from '../lora/lora-linear';
import type { GpuModelConfig, GpuModelWeights } from '../model/weights';
import type { Tensor } from '../tensor';
import { TrainingActivations } from './activations';
import { AdapterDropout } from './adapter-dropout';
import { checkBatch } from './batch-check';
import { LmHeadLoss } from './lm-head-loss';
import { ModelAdapters, TrainerSettingsError } from './lora-adapters';
import { checkHyperparameters } from './optimizer-check';
import { SeededRandom } from './seeded-random';
import { blockBackward, blockForward, type Block, type BlockInputs } from './transformer-block';
import type {
  AdapterMatrices,
  EvalMetrics,
  OptimizerHyperparameters,
  PhaseTimings,
  StepMetrics,
  Trainer,
  TrainerMemory,
  TrainerOptions,
  TrainerState,
} from './types';

/** A model as src/gpu/model/upload.ts leaves it. */
export interface TrainableModel {
  config: GpuModelConfig;
  weights: GpuModelWeights;
  /** RoPE inverse frequencies [headDim/2] (GGUF files may carry their own); from the config when absent. */
  invFreq?: Float32Array;
}

/** Slots of the step's metrics buffer (f32 [4]). */
const METRIC = { lossSum: 0, trained: 1, invalid: 2, normSq: 3 } as const;

const now = () => performance.now();

export class LoraTrainer implements Trainer {
  readonly config: GpuModelConfig;
  private readonly adapters: ModelAdapters;
  private readonly act: TrainingActivations;
  private readonly head: LmHeadLoss;
  private readonly dropout: AdapterDropout | null;
  private readonly blocks: Block[];
  private readonly tokenEmbedding: Tensor; // [V, C] frozen
  private readonly invFreq: Tensor; // [D/2]
  private readonly stepMetrics: Tensor; // [4] f32, see METRIC
  private readonly normPartials: Tensor; // grad_norm scratch, planned once
  private rng: SeededRandom;
  private adamSteps = 0;
  /** Micro-batches accumulated since the last step, their trained tokens, and the total they were told. */
  private pending = { batches: 0, trained: 0, declared: 0 };
  private timings: PhaseTimings = { forwardMs: 0, backwardMs: 0, optimizerMs: 0 };
  private disposed = false;

  constructor(
    private readonly ctx: GpuContext,
    model: TrainableModel,
    readonly options: TrainerOptions,
  ) {
    const c = (this.config = model.config);
    const { maxTokens, dropout, seed } = options;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new TrainerSettingsError(`maxTokens must be an integer ≥ 1, got ${maxTokens}`);
    }
    if (!(dropout >= 0 && dropout < 1)) throw new TrainerSettingsError(`LoRA dropout must be in [0, 1), got ${dropout}`);
    if (!Number.isSafeInteger(seed)) throw new TrainerSettingsError(`the trainer seed must be an integer, got ${seed}`);
    this.adapters = new ModelAdapters(ctx, model.weights, options.lora);
    this.act = new TrainingActivations(ctx, c, {
      maxTokens,
      rank: options.lora.rank,
      adapted: options.lora.targets,
      checkpointing: options.checkpointing,
    });
    this.head = new LmHeadLoss(ctx, c, model.weights, this.act.final, maxTokens);
    const maxIn = Math.max(c.hiddenSize, c.numHeads * c.headDim, c.intermediateSize);
    this.dropout = dropout > 0 ? new AdapterDropout(ctx, dropout, maxTokens, maxIn) : null;
    this.tokenEmbedding = model.weights.tokenEmbedding;
    this.blocks = model.weights.layers.map((weights, index) => ({
      index,
      weights,
      projections: this.adapters.layers[index],
    }));
    const invFreq = model.invFreq ?? ropeInverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling);
    this.invFreq = ctx.tensor([c.headDim / 2], 'f32', 'train.invFreq', invFreq);
    this.stepMetrics = ctx.tensor([4], 'f32', 'train.stepMetrics');
    this.normPartials = ctx.tensor([gradNormPartials([this.adapters.block.grads])], 'f32', 'train.normPartials');
    this.rng = SeededRandom.fromSeed(seed);
    ctx.write(this.adapters.block.params, this.adapters.initialParams(this.rng.nextU32()));
  }

  /** The adapters' output scale: alpha/r, or alpha/√r with rsLoRA. */
  get loraScale(): number {
    return loraScale(this.options.lora);
  }

  async accumulate(batch: TokenBatch, stepTrainedTokens = batch.trainedTokens): Promise<void> {
    this.live('accumulate');
    const t = this.upload(batch, 'accumulate');
    if (stepTrainedTokens === 0) {
      throw new TrainerSettingsError('accumulate: the step has no trained tokens (every target is IGNORE_TARGET)');
    }
    if (!Number.isInteger(stepTrainedTokens) || stepTrainedTokens < batch.trainedTokens || stepTrainedTokens < 1) {
      throw new TrainerSettingsError(
        `accumulate: stepTrainedTokens = ${stepTrainedTokens} must be the step's total of trained tokens ` +
          `(≥ this batch's ${batch.trainedTokens}, ≥ 1)`,
      );
    }
    if (this.pending.batches > 0 && this.pending.declared !== stepTrainedTokens) {
      throw new TrainerSettingsError(
        `accumulate: this step's micro-batches disagree on its trained tokens (${this.pending.declared} vs ${stepTrainedTokens})`,
      );
    }
    const profile = this.options.profile ?? false;
    const inputs = this.blockInputs(t, true);
    this.dropout?.beginBatch(this.rng.nextU32());
    const t0 = now();
    this.recordForward(inputs, !this.options.checkpointing);
    residualAccumulate(this.ctx, this.stepMetrics.view([3]), this.head.metrics.view([3]));
    if (profile) await this.ctx.sync();
    const t1 = now();
    this.recordBackward(inputs, 1 / stepTrainedTokens);
    this.ctx.flush();
    if (profile) await this.ctx.sync();
    this.timings.forwardMs += t1 - t0;
    this.timings.backwardMs += now() - t1;
    this.pending.batches++;
    this.pending.trained += batch.trainedTokens;
    this.pending.declared = stepTrainedTokens;
  }

  async step(hp: OptimizerHyperparameters): Promise<StepMetrics> {
    this.live('step');
    checkHyperparameters(hp);
    const { batches, trained, declared } = this.pending;
    if (batches === 0) throw new TrainerSettingsError('step: no micro-batch was accumulated since the last step');
    if (trained !== declared) {
      throw new TrainerSettingsError(
        `step: the micro-batches were told the step trains ${declared} tokens, but they held ${trained}`,
      );
    }
    const t0 = now();
    const grads = this.adapters.block.grads;
    gradNormSquared(this.ctx, [grads], this.stepMetrics, { index: METRIC.normSq, partials: this.normPartials });
    const m = (await this.ctx.read(this.stepMetrics)) as Float32Array;
    const loss = m[METRIC.lossSum] / m[METRIC.trained];
    const gradNorm = Math.sqrt(m[METRIC.normSq]);
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    const clip = hp.maxGradNorm > 0 && Number.isFinite(hp.maxGradNorm);
    let clipScale = 1;
    if (finite) {
      this.adamSteps++;
      const b = this.adapters.block;
      adamwStep(this.ctx, {
        params: [b.params],
        grads: [b.grads],
        m: [b.m],
        v: [b.v],
        lr: hp.learningRate,
        beta1: hp.beta1,
        beta2: hp.beta2,
        eps: hp.eps,
        weightDecay: hp.weightDecay,
        step: this.adamSteps,
        ...(clip ? { maxGradNorm: hp.maxGradNorm, normSq: this.stepMetrics, normSqIndex: METRIC.normSq } : {}),
        zeroGrad: true,
      });
      // The shader's factor, recomputed on the host for the report.
      if (clip) clipScale = Math.min(1, Math.fround(hp.maxGradNorm) / (Math.sqrt(m[METRIC.normSq]) + 1e-6));
    } else {
      // Never apply a non-finite update: drop this step's gradients and keep the parameters as they were.
      this.ctx.zero(grads);
    }
    this.ctx.zero(this.stepMetrics);
    this.ctx.flush();
    const profile = this.options.profile ?? false;
    if (profile) await this.ctx.sync();
    this.timings.optimizerMs += now() - t0;
    const metrics: StepMetrics = {
      loss,
      trainedTokens: trained,
      gradNorm,
      finite,
      clipScale,
      step: this.adamSteps,
      ...(profile ? { timings: this.timings } : {}),
    };
    this.pending = { batches: 0, trained: 0, declared: 0 };
    this.timings = { forwardMs: 0, backwardMs: 0, optimizerMs: 0 };
    return metrics;
  }

  async evaluate(batch: TokenBatch): Promise<EvalMetrics> {
    this.live('evaluate');
    const t = this.upload(batch, 'evaluate');
    this.recordForward(this.blockInputs(t, false), false);
    const m = (await this.ctx.read(this.head.metrics)) as Float32Array;
    return { lossSum: m[METRIC.lossSum], trainedTokens: m[METRIC.trained] };
  }

  /** Host copies of the LoRA gradients accumulated since the last step (tests and diagnostics). */
  async adapterGradients(): Promise<AdapterMatrices[]> {
    this.live('adapterGradients');
    return this.adapters.matrices(await this.ctx.readF32(this.adapters.block.grads));
  }

  async adapterWeights(): Promise<AdapterMatrices[]> {
    this.live('adapterWeights');
    return this.adapters.matrices(await this.ctx.readF32(this.adapters.block.params));
  }

  setAdapterWeights(matrices: readonly AdapterMatrices[]): void {
    this.live('setAdapterWeights');
    this.ctx.write(this.adapters.block.params, this.adapters.pack(matrices));
  }

  async exportState(): Promise<TrainerState> {
    this.live('exportState');
    if (this.pending.batches > 0) {
      throw new TrainerSettingsError('exportState: gradients of an unfinished step are pending; call step() first');
    }
    const b = this.adapters.block;
    return {
      step: this.adamSteps,
      params: await this.ctx.readF32(b.params),
      m: await this.ctx.readF32(b.m),
      v: await this.ctx.readF32(b.v),
      rngState: this.rng.state,
    };
  }

  importState(state: TrainerState): void {
    this.live('importState');
    const b = this.adapters.block;
    for (const [name, arr] of [['params', state.params], ['m', state.m], ['v', state.v]] as const) {
      if (arr.length !== b.length) {
        throw new TrainerSettingsError(
          `importState: ${name} has ${arr.length} values but this trainer's adapters take ${b.length} ` +
            '(different model, rank or targets?)',
        );
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new TrainerSettingsError(`importState: bad step ${state.step}`);
    this.rng = SeededRandom.fromState(state.rngState);
    this.ctx.write(b.params, state.params);
    this.ctx.write(b.m, state.m);
    this.ctx.write(b.v, state.v);
    this.ctx.zero(b.grads);
    this.ctx.zero(this.stepMetrics);
    this.adamSteps = state.step;
    this.pending = { batches: 0, trained: 0, declared: 0 };
  }

  memory(): TrainerMemory {
    const adapterBytes = this.adapters.bytes;
    const activationBytes = this.act.bytes + this.head.bytes + (this.dropout?.bytes ?? 0);
    const other = this.invFreq.byteSize + this.stepMetrics.byteSize + this.normPartials.byteSize;
    return {
      trainerBytes: adapterBytes + activationBytes + other,
      adapterBytes,
      activationBytes,
      peakBytes: this.ctx.memory.peakBytes,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.adapters.release(this.ctx);
    this.act.release();
    this.head.release();
    this.dropout?.release();
    for (const t of [this.invFreq, this.stepMetrics, this.normPartials]) this.ctx.release(t);
  }

  private live(what: string): void {
    if (this.disposed) throw new TrainerSettingsError(`${what}: the trainer was disposed`);
  }

  /** Checks the batch and writes its four arrays into the planned input buffers; returns T. */
  private upload(batch: TokenBatch, what: string): number {
    const c = this.config;
    const t = checkBatch(batch, { maxTokens: this.options.maxTokens, vocabSize: c.vocabSize, contextLength: c.contextLength }, what);
    const a = this.act;
    this.ctx.write(a.ids, batch.tokens);
    this.ctx.write(a.labels, batch.targets);
    this.ctx.write(a.positions, batch.positions);
    this.ctx.write(a.seqStart, batch.seqStart);
    return t;
  }

  private blockInputs(t: number, training: boolean): BlockInputs {
    const a = this.act;
    return {
      ctx: this.ctx,
      config: this.config,
      tokens: t,
      positions: a.positions.view([t]),
      seqStart: a.seqStart.view([t]),
      invFreq: this.invFreq,
      dropout: training ? this.dropout : null,
    };
  }

  private xs(i: number, t: number): Tensor {
    return this.act.xs[i].view([t, this.config.hiddenSize]);
  }

  /** Embedding, every block (keeping activations unless `keep` is false: checkpointing or eval), the loss. */
  private recordForward(b: BlockInputs, keep: boolean): void {
    const t = b.tokens;
    embeddingForward(this.ctx, this.act.ids.view([t]), this.tokenEmbedding, this.xs(0, t));
    for (const block of this.blocks) {
      // Without kept activations every block writes the shared slot 0 (recomputed in backward).
      const slot = keep ? this.act.layers[block.index] : this.act.layers[0];
      blockForward(b, block, slot, this.xs(block.index, t), this.xs(block.index + 1, t));
    }
    this.head.forward(this.xs(this.blocks.length, t), this.act.labels.view([t]));
  }

  /** Loss backward, then every block from the last, recomputing a block's forward first when checkpointing. */
  private recordBackward(b: BlockInputs, gradScale: number): void {
    const t = b.tokens;
    const dX = this.act.grads.dX.view([t, this.config.hiddenSize]);
    const n = this.blocks.length;
    this.head.backward(this.xs(n, t), this.act.labels.view([t]), dX, gradScale);
    for (let i = n - 1; i >= 0; i--) {
      const block = this.blocks[i];
      const slot = this.act.layers[i];
      if (this.options.checkpointing) blockForward(b, block, slot, this.xs(i, t), this.xs(i + 1, t));
      blockBackward(b, block, slot, this.act.grads, this.xs(i, t));
    }
  }
}
