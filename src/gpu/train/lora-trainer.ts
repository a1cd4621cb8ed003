/**
 * LoRA / QLoRA (DoRA with `lora.dora`, IA³ with `options.ia3`, prompt tuning with `options.prompt`) training of a Llama-family model on the GPU: a frozen base (dense f32
 * or quantized weights read by the fused dequant kernels) with trainable adapters, llm.c's four functions in
 * WebGPU: forward, backward (both in `accumulate`), zero_grad and update (both in `step`). Everything — adapters, gradients, AdamW moments,
 * activations for `maxTokens`, loss scratch — is allocated once, here; a step records dispatches, submits, and
 * reads back one metrics buffer. Base weights are only ever bound as inputs: no kernel writes them.
 *
 * Loss normalisation: each `accumulate` scales its gradient by 1/stepTrainedTokens (the trained tokens of the whole
 * optimizer step, which the caller states), so after the step's micro-batches the gradient is that of the mean loss.
 */
import type { TokenBatch } from '../../data/batch-types';
import { loraScale } from '../../model/lora-targets';
import type { GpuContext } from '../context';
import { adamwStep } from '../kernels/adamw';
import { gradNormPartials, gradNormSquared } from '../kernels/grad_norm';
import { promptEmbeddingBackward } from '../kernels/prompt_embedding';
import { residualAccumulate } from '../kernels/residual';
import type { InferenceAdapter } from '../lora/adapted-linear';
import { blockBackward, blockForward, type BlockInputs } from '../model/transformer-block';
import type { GpuModelConfig } from '../model/weights';
import type { Tensor } from '../tensor';
import { AdapterDropout } from './adapter-dropout';
import { Ia3Adapters } from './ia3-adapters';
import { ModelAdapters, PARAMETER_LAYOUT, TrainerSettingsError } from './lora-adapters';
import { checkHyperparameters } from './optimizer-check';
import { METRIC, PackedForward, type TrainableModel } from './packed-forward';
import { PromptAdapters } from './prompt-adapters';
import { adapterBuffers } from './activations';
import { SeededRandom } from './seeded-random';
import type {
  AdapterMatrices,
  EvalMetrics,
  Ia3VectorCopy,
  OptimizerHyperparameters,
  PhaseTimings,
  StepMetrics,
  Trainer,
  TrainerMemory,
  TrainerOptions,
  TrainerState,
} from './types';

const now = () => performance.now();

const clipsGradients = (hp: OptimizerHyperparameters) => hp.maxGradNorm > 0 && Number.isFinite(hp.maxGradNorm);

/** The update a rehearsal records: clipping on, since that is what a run does unless told otherwise. */
const REHEARSED_UPDATE: OptimizerHyperparameters = {
  learningRate: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1,
  loraPlusRatio: 1,
};

export class LoraTrainer implements Trainer {
  readonly config: GpuModelConfig;
  private readonly adapters: ModelAdapters | Ia3Adapters | PromptAdapters;
  /** Embedding → blocks → loss over the planned activations (the same layer code as inference). */
  private readonly fwd: PackedForward;
  private readonly dropout: AdapterDropout | null;
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
    if (options.ia3 && dropout > 0) throw new TrainerSettingsError(`LoRA dropout (${dropout}) does not apply to IA³, which has no adapter input`);
    if (options.prompt && dropout > 0) throw new TrainerSettingsError(`LoRA dropout (${dropout}) does not apply to prompt tuning, which has no adapter input`);
    if (options.prompt && options.ia3) throw new TrainerSettingsError('a trainer trains IA³ vectors or a prompt, not both');
    if (!Number.isSafeInteger(seed)) throw new TrainerSettingsError(`the trainer seed must be an integer, got ${seed}`);
    this.adapters = options.prompt
      ? new PromptAdapters(ctx, model.weights, options.prompt)
      : options.ia3
        ? new Ia3Adapters(ctx, model.weights, options.ia3)
        : new ModelAdapters(ctx, model.weights, options.lora);
    const prompt = this.adapters instanceof PromptAdapters ? this.adapters.prompt : null;
    this.fwd = new PackedForward(
      ctx,
      model,
      this.adapters.layers,
      { maxTokens, ...adapterBuffers(this.adapters.layers), checkpointing: options.checkpointing },
      prompt,
    );
    const maxIn = Math.max(c.hiddenSize, c.numHeads * c.headDim, c.intermediateSize);
    this.dropout = dropout > 0 ? new AdapterDropout(ctx, dropout, maxTokens, maxIn) : null;
    this.stepMetrics = ctx.tensor([4], 'f32', 'train.stepMetrics');
    this.normPartials = ctx.tensor([gradNormPartials([this.adapters.block.grads])], 'f32', 'train.normPartials');
    this.rng = SeededRandom.fromSeed(seed);
    const seedOfA = this.rng.nextU32(); // drawn for every method, so the dropout stream is the same either way
    if (this.adapters instanceof Ia3Adapters) ctx.write(this.adapters.block.params, this.adapters.initialParams());
    else if (this.adapters instanceof PromptAdapters) this.adapters.initialise(ctx, model.weights);
    else {
      ctx.write(this.adapters.block.params, this.adapters.initialParams(seedOfA));
      this.adapters.initMagnitudes(ctx, model.weights);
    }
  }

  /** The adapters' output scale: alpha/r, or alpha/√r with rsLoRA. */
  get loraScale(): number {
    return loraScale(this.options.lora);
  }

  async accumulate(batch: TokenBatch, stepTrainedTokens = batch.trainedTokens): Promise<void> {
    this.live('accumulate');
    const t = this.fwd.upload(batch, 'accumulate');
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
    const inputs = this.fwd.blockInputs(t, this.dropout);
    this.dropout?.beginBatch(this.rng.nextU32());
    const t0 = now();
    this.recordForward(inputs);
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
    this.recordGradNorm();
    const m = (await this.ctx.read(this.stepMetrics)) as Float32Array;
    const loss = m[METRIC.lossSum] / m[METRIC.trained];
    const gradNorm = Math.sqrt(m[METRIC.normSq]);
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    const clip = clipsGradients(hp);
    let clipScale = 1;
    if (finite) {
      this.adamSteps++;
      this.recordUpdate(hp, this.adamSteps);
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

  /**
   * Creates every pipeline training needs before the first step, all at once (GpuContext.prepareKernels), from a
   * rehearsal of a micro-batch of maxTokens tokens, the update and an evaluation: the step's own recording code,
   * so it asks for the kernels a step will, and it changes nothing (no GPU work, no random draw, no counter).
   * Returns how many pipelines it created.
   */
  async preparePipelines(): Promise<number> {
    this.live('preparePipelines');
    return this.ctx.prepareKernels(() => {
      const inputs = this.fwd.blockInputs(this.options.maxTokens, this.dropout);
      this.recordForward(inputs);
      this.recordBackward(inputs, 1);
      this.recordGradNorm();
      this.recordUpdate(REHEARSED_UPDATE, 1);
      this.fwd.record(this.fwd.blockInputs(this.options.maxTokens, null), false);
    });
  }

  async evaluate(batch: TokenBatch): Promise<EvalMetrics> {
    this.live('evaluate');
    return this.fwd.loss(batch, 'evaluate');
  }

  /**
   * The adapter as it is now, for inference (LlamaModel.setAdapter): views of the parameter block on the GPU,
   * no copy, so it follows every step. Valid until the trainer is disposed.
   */
  adapterView(): InferenceAdapter {
    this.live('adapterView');
    return this.adapters.view();
  }

  /** Host copies of the LoRA gradients accumulated since the last step (tests and diagnostics). */
  async adapterGradients(): Promise<AdapterMatrices[]> {
    const lora = this.lora('adapterGradients');
    return lora.matrices(await this.ctx.readF32(lora.block.grads));
  }

  async adapterWeights(): Promise<AdapterMatrices[]> {
    const lora = this.lora('adapterWeights');
    return lora.matrices(await this.ctx.readF32(lora.block.params));
  }

  setAdapterWeights(matrices: readonly AdapterMatrices[]): void {
    const lora = this.lora('setAdapterWeights');
    this.ctx.write(lora.block.params, lora.pack(matrices));
  }

  /** Host copies of the IA³ vectors (or, with `gradients`, of their gradients accumulated since the last step). */
  async ia3Vectors(gradients = false): Promise<Ia3VectorCopy[]> {
    const ia3 = this.ia3('ia3Vectors');
    return ia3.vectors(await this.ctx.readF32(gradients ? ia3.block.grads : ia3.block.params));
  }

  setIa3Vectors(vectors: readonly Ia3VectorCopy[]): void {
    const ia3 = this.ia3('setIa3Vectors');
    this.ctx.write(ia3.block.params, ia3.pack(vectors));
  }

  /** Host copy of the prompt's embeddings [P·C] (or, with `gradients`, of their gradient since the last step). */
  async promptEmbeddings(gradients = false): Promise<Float32Array> {
    const prompt = this.promptTuning('promptEmbeddings');
    return prompt.embeddings(await this.ctx.readF32(gradients ? prompt.block.grads : prompt.block.params));
  }

  setPromptEmbeddings(embeddings: Float32Array): void {
    const prompt = this.promptTuning('setPromptEmbeddings');
    this.ctx.write(prompt.block.params, prompt.pack(embeddings));
  }

  private get method(): string {
    if (this.adapters instanceof PromptAdapters) return 'a prompt';
    return this.adapters instanceof Ia3Adapters ? 'IA³ vectors' : 'LoRA matrices';
  }

  private lora(what: string): ModelAdapters {
    this.live(what);
    if (!(this.adapters instanceof ModelAdapters)) throw new TrainerSettingsError(`${what}: this trainer trains ${this.method}, not LoRA matrices`);
    return this.adapters;
  }

  private ia3(what: string): Ia3Adapters {
    this.live(what);
    if (!(this.adapters instanceof Ia3Adapters)) throw new TrainerSettingsError(`${what}: this trainer trains ${this.method}, not IA³ vectors`);
    return this.adapters;
  }

  private promptTuning(what: string): PromptAdapters {
    this.live(what);
    if (!(this.adapters instanceof PromptAdapters)) throw new TrainerSettingsError(`${what}: this trainer trains ${this.method}, not a prompt`);
    return this.adapters;
  }

  async exportState(): Promise<TrainerState> {
    this.live('exportState');
    if (this.pending.batches > 0) {
      throw new TrainerSettingsError('exportState: gradients of an unfinished step are pending; call step() first');
    }
    const b = this.adapters.block;
    return {
      step: this.adamSteps,
      layout: PARAMETER_LAYOUT,
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
    if (state.layout !== PARAMETER_LAYOUT && state.layout !== 'interleaved') {
      throw new TrainerSettingsError(`importState: unknown parameter layout '${String(state.layout)}'`);
    }
    // A checkpoint of the layout before LoRA+ holds the same matrices in another order: reordered by name.
    const ordered = (arr: Float32Array) => (state.layout === PARAMETER_LAYOUT ? arr : this.lora('importState').fromInterleaved(arr));
    this.rng = SeededRandom.fromState(state.rngState);
    this.ctx.write(b.params, ordered(state.params));
    this.ctx.write(b.m, ordered(state.m));
    this.ctx.write(b.v, ordered(state.v));
    this.ctx.zero(b.grads);
    this.ctx.zero(this.stepMetrics);
    this.adamSteps = state.step;
    this.pending = { batches: 0, trained: 0, declared: 0 };
  }

  memory(): TrainerMemory {
    const adapterBytes = this.adapters.bytes;
    const activationBytes = this.fwd.bytes + (this.dropout?.bytes ?? 0);
    const other = this.fwd.invFreq.byteSize + this.stepMetrics.byteSize + this.normPartials.byteSize;
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
    this.fwd.release();
    this.dropout?.release();
    for (const t of [this.stepMetrics, this.normPartials]) this.ctx.release(t);
  }

  private live(what: string): void {
    if (this.disposed) throw new TrainerSettingsError(`${what}: the trainer was disposed`);
  }

  /** The micro-batch's forward and loss, its loss sum and trained tokens added to the step's metrics. */
  private recordForward(inputs: BlockInputs): void {
    this.fwd.record(inputs, !this.options.checkpointing);
    residualAccumulate(this.ctx, this.stepMetrics.view([3]), this.fwd.head.metrics.view([3]));
  }

  private recordGradNorm(): void {
    const grads = this.adapters.block.grads;
    gradNormSquared(this.ctx, [grads], this.stepMetrics, { index: METRIC.normSq, partials: this.normPartials });
  }

  /** AdamW on the parameter block (clipped by the recorded gradient norm when hp asks), zeroing the gradients. */
  private recordUpdate(hp: OptimizerHyperparameters, step: number): void {
    const b = this.adapters.block;
    const clip = clipsGradients(hp);
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
      step,
      // LoRA+: every B lies after every A in the block, one tail with its own learning rate.
      ...(hp.loraPlusRatio !== 1 ? { group2: { start: this.adapters.bStart, lrRatio: hp.loraPlusRatio } } : {}),
      ...(clip ? { maxGradNorm: hp.maxGradNorm, normSq: this.stepMetrics, normSqIndex: METRIC.normSq } : {}),
      zeroGrad: true,
    });
  }

  /**
   * Loss backward, then every block from the last, recomputing a block's forward first when checkpointing; for
   * prompt tuning, the residual gradient at the virtual slots then lands in the prompt's.
   */
  private recordBackward(b: BlockInputs, gradScale: number): void {
    const { fwd } = this;
    const t = b.tokens;
    const grads = fwd.act.grads!;
    const dX = grads.dX.view([t, this.config.hiddenSize]);
    const n = fwd.blocks.length;
    fwd.head.backward(fwd.xs(n, t), fwd.labels(t), dX, gradScale);
    for (let i = n - 1; i >= 0; i--) {
      const block = fwd.blocks[i];
      const slot = fwd.act.layers[i];
      if (this.options.checkpointing) blockForward(b, block, slot, fwd.xs(i, t), fwd.xs(i + 1, t));
      blockBackward(b, block, slot, grads, fwd.xs(i, t));
    }
    if (this.adapters instanceof PromptAdapters) promptEmbeddingBackward(this.ctx, b.positions, dX, this.adapters.dPrompt);
  }
}
