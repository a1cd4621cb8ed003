/**
 * Inference forward pass of the Llama family on the GPU, with a KV cache: `forward(tokens, start)` runs new
 * tokens at positions start.. against the cached keys/values of positions < start and returns the logits of the
 * last token. Activations and the cache are allocated once, when the model is made; a forward records its
 * dispatches and submits once per chunk of tokens, reading back only the [V] logits.
 *
 * With a prompt-tuning adapter the P virtual tokens come first: a forward at start 0 runs them (positions 0..P-1,
 * their embeddings the prompt's) before the tokens, which sit at positions P + start.., as PEFT prepends them to
 * the input embeddings. Callers keep counting from 0; the context they see is the cache less P.
 *
 * With `sequences: N > 1` the model decodes N sequences in lockstep (one prompt continued N ways: Compare's
 * columns, `webtune generate --adapter a --adapter b`): a chunk of T tokens is T·N rows, token-major (row t·N + j
 * is sequence j's token t), so every product runs once over the whole batch, and for attention the N sequences
 * are N times the heads over T queries — the cache holds [positions, N·Hkv, D], and the attention kernel needs
 * nothing new. Each sequence's rows may carry their own LoRA adapter from an AdapterSlots (`setSlots`).
 */
import type { GpuContext } from '../context';
import { embeddingForward } from '../kernels/embedding';
import { promptEmbeddingForward } from '../kernels/prompt_embedding';
import { HostEmbedding } from './host-embedding';
import { rmsnormForward } from '../kernels/rmsnorm';
import { isIa3, type InferenceAdapter } from '../lora/adapted-linear';
import { adaptedProjections } from '../lora/projections';
import { MAX_ADAPTER_SLOTS, type AdapterSlots } from '../lora/adapter-slots';
import { SlotLinear } from '../lora/slot-linear';
import { NO_SLOT } from '../kernels/lora_slots';
import type { Tensor } from '../tensor';
import { LORA_TARGETS } from '../../model/lora-targets';
import { ropeInverseFrequencies } from '../../model/rope-frequencies';
import { planLayerActivations, type LayerActivations } from './block-activations';
import { leadingRows, linearForward } from './linear';
import { blockForward, type Block } from './transformer-block';
import type { GpuModelConfig, GpuModelWeights } from './weights';

export interface LlamaOptions {
  /** Tokens processed per submit during prefill; longer prompts are run in chunks. */
  maxChunkTokens?: number;
  /** KV-cache length (defaults to the model's context length). */
  maxContext?: number;
  /** RoPE inverse frequencies [headDim/2] when the file supplies its own (GGUF rope_freqs); else from the config. */
  invFreq?: Float32Array;
  /** A LoRA adapter applied unmerged from the first forward (see `setAdapter`). */
  adapter?: InferenceAdapter | null;
  /** Sequences decoded together in lockstep (1 to MAX_BATCH_SEQUENCES; default 1). */
  sequences?: number;
}

/** The base and eight adapters. */
export const MAX_BATCH_SEQUENCES = MAX_ADAPTER_SLOTS + 1;

/** The model's own buffers for a chunk of T ≤ maxChunk tokens of N sequences (R = T·N rows); the blocks' live in `layer`. */
interface Activations {
  ids: Tensor; // [R] u32
  positions: Tensor; // [R] u32
  seqStart: Tensor; // [T] u32, all zero: each sequence's keys start at 0 of its own heads
  rowSlot: Tensor; // [R] u32, each row's adapter slot (NO_SLOT: the base)
  x: Tensor; // [R, C] residual stream, updated in place by every block
  /** One block's buffers, shared by all layers (nothing is kept for a backward). */
  layer: LayerActivations;
  last: Tensor; // [N, C] final hidden state of each sequence's last token
  lastNormed: Tensor; // [N, C]
  lastRstd: Tensor; // [N]
  logits: Tensor; // [N, V]
}

export class LlamaModel {
  /** Positions the KV cache holds (virtual tokens included). */
  private readonly cacheLength: number;
  readonly vocabSize: number;
  /** Sequences decoded together. */
  readonly sequences: number;
  /** Tokens per sequence in one chunk. */
  private readonly maxChunk: number;
  private readonly act: Activations;
  private readonly keyCache: Tensor[]; // per layer [maxContext, N·Hkv, D]
  private readonly valueCache: Tensor[];
  private readonly invFreq: Tensor; // [D/2]
  /** Every layer's projections, carrying the adapter's matrices or vectors where it adapts them. */
  private readonly blocks: Block[];
  /**
   * What the adapted projection being run keeps (LoRA's x·Aᵀ [T, r], IA³'s unscaled product or scaled input),
   * [T·width] flat; allocated with the adapter, shared by every projection (each uses it up at once).
   */
  private loraScratch: Tensor | null = null;
  /** Prompt tuning's [P, C] virtual-token embeddings, or null. */
  private prompt: Tensor | null = null;
  /** The slots set, and the largest rank the scratch was planned for. */
  private slotSource: { slots: AdapterSlots; width: number } | null = null;
  private disposed = false;

  constructor(
    private readonly ctx: GpuContext,
    readonly config: GpuModelConfig,
    readonly weights: GpuModelWeights,
    options: LlamaOptions = {},
  ) {
    const c = config;
    // With sliding-window attention (Mistral v0.1) a query sees only the last `slidingWindow` keys; the kernels
    // attend to the whole cache, which is the same thing only while the cache is no longer than the window. So the
    // context stops at the window (generation ends with reason 'context') rather than attend past it wrongly.
    const window = c.slidingWindow ?? Infinity;
    this.cacheLength = Math.min(options.maxContext ?? c.contextLength, c.contextLength, window);
    this.vocabSize = c.vocabSize;
    const n = options.sequences ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_SEQUENCES) {
      throw new RangeError(`LlamaModel: ${n} sequences asked for; 1 to ${MAX_BATCH_SEQUENCES} decode together (the base and ${MAX_ADAPTER_SLOTS} adapters)`);
    }
    this.sequences = n;
    // A batch's chunk keeps the rows of one sequence's default chunk, so its buffers cost what a single one does.
    this.maxChunk = Math.min(options.maxChunkTokens ?? Math.max(1, Math.floor(256 / n)), this.cacheLength);
    const t = this.maxChunk;
    const rows = t * n;
    const f32 = (shape: number[], label: string) => ctx.tensor(shape, 'f32', label);
    this.act = {
      ids: ctx.tensor([rows], 'u32', 'ids'),
      positions: ctx.tensor([rows], 'u32', 'positions'),
      seqStart: ctx.tensor([t], 'u32', 'seqStart'),
      rowSlot: ctx.tensor([rows], 'u32', 'rowSlot'),
      x: f32([rows, c.hiddenSize], 'x'),
      layer: planLayerActivations(f32, c, rows, 'layer', {}, { sharedNorms: true }),
      last: f32([n, c.hiddenSize], 'last'),
      lastNormed: f32([n, c.hiddenSize], 'lastNormed'),
      lastRstd: f32([n], 'lastRstd'),
      logits: f32([n, c.vocabSize], 'logits'),
    };
    this.blocks = weights.layers.map((w, index) => ({ index, weights: w, projections: adaptedProjections(w) }));
    const cacheShape = [this.cacheLength, n * c.numKvHeads, c.headDim];
    this.keyCache = weights.layers.map((_, i) => f32(cacheShape, `kcache.${i}`));
    this.valueCache = weights.layers.map((_, i) => f32(cacheShape, `vcache.${i}`));
    const invFreq = options.invFreq ?? ropeInverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling);
    this.invFreq = ctx.tensor([c.headDim / 2], 'f32', 'invFreq', invFreq);
    if (options.adapter) this.setAdapter(options.adapter);
  }

  /** Positions a caller's tokens may take: the cache less a prompt adapter's virtual tokens. */
  get contextLength(): number {
    return this.cacheLength - this.virtualTokens;
  }

  private get virtualTokens(): number {
    return this.prompt?.shape[0] ?? 0;
  }

  /**
   * Applies a LoRA adapter or IA³ vectors unmerged (works on quantized bases too, whose weights cannot absorb
   * B·A), or a prompt (its virtual tokens then come first), or removes it with null. The KV cache holds keys/values of the previous adapter, so the next forward
   * should start at 0.
   */
  setAdapter(adapter: InferenceAdapter | null): void {
    if (this.disposed) throw new RangeError('setAdapter: the model was disposed');
    // Checked first, so a refused adapter leaves the current one in place.
    if (adapter) this.checkAdapter(adapter);
    this.blocks.forEach((block, i) => Object.assign(block.projections, adaptedProjections(block.weights, adapter?.layers[i])));
    this.prompt = adapter?.prompt ?? null;
    this.slotSource = null;
    this.planScratch();
  }

  /**
   * Gives each sequence its own LoRA adapter from `slots` (`slotOfSequence[j]`, null for the base alone), all
   * decoded in one batch; replaces any adapter set with setAdapter. The projections read the slots at every
   * forward; an adapter of a higher rank than any there now needs setSlots again (a forward says so). The KV cache
   * holds keys/values of the previous adapters, so the next forward should start at 0.
   */
  setSlots(slots: AdapterSlots, slotOfSequence: readonly (number | null)[]): void {
    if (this.disposed) throw new RangeError('setSlots: the model was disposed');
    if (slotOfSequence.length !== this.sequences) {
      throw new RangeError(`setSlots: ${slotOfSequence.length} sequences given a slot; the model decodes ${this.sequences}`);
    }
    for (const s of slotOfSequence) {
      if (s !== null && !slots.has(s)) throw new RangeError(`setSlots: slot ${s} holds no adapter`);
    }
    if (slots.disposed) throw new RangeError('setSlots: the adapter slots were disposed');
    const width = Math.max(1, slots.maxRank);
    this.blocks.forEach((block) => {
      const projections = Object.fromEntries(
        LORA_TARGETS.map((target) => [target, new SlotLinear(block.weights[target], slots, block.index, target, this.act.rowSlot, width)]),
      );
      Object.assign(block.projections, projections);
    });
    this.prompt = null;
    this.slotSource = { slots, width };
    // Row r of every chunk is sequence r mod N's (token-major), so the rows' slots are the same for every chunk.
    this.ctx.write(this.act.rowSlot, Uint32Array.from({ length: this.act.rowSlot.size }, (_, r) => slotOfSequence[r % this.sequences] ?? NO_SLOT));
    this.planScratch();
  }

  /** The scratch the adapted projections share, as wide as the widest of them needs. */
  private planScratch(): void {
    const width = Math.max(0, ...this.blocks.flatMap((b) => LORA_TARGETS.map((t) => b.projections[t].savedWidth)));
    if (this.loraScratch) this.ctx.release(this.loraScratch);
    const rows = this.maxChunk * this.sequences;
    this.loraScratch = width > 0 ? this.ctx.tensor([rows * width], 'f32', 'adapter.saved') : null;
    // Each projection's saved tensor is consumed by its own product at once, so all of them share the scratch.
    const u = this.loraScratch;
    this.act.layer.u = u ? Object.fromEntries(LORA_TARGETS.map((target) => [target, u])) : {};
  }

  /** Every pair's and vector's sizes against its projection; a prompt's width and length against the model's. */
  private checkAdapter(adapter: InferenceAdapter): void {
    if (adapter.layers.length !== this.weights.layers.length) {
      throw new RangeError(`setAdapter: the adapter has ${adapter.layers.length} layers, the model ${this.weights.layers.length}`);
    }
    if (adapter.prompt) {
      const [p, width] = adapter.prompt.shape;
      if (width !== this.config.hiddenSize) {
        throw new RangeError(`setAdapter: the prompt's embeddings are ${width} wide, the model's ${this.config.hiddenSize}`);
      }
      if (p >= this.cacheLength) {
        throw new RangeError(`setAdapter: the prompt's ${p} virtual tokens leave no room in a context of ${this.cacheLength}`);
      }
    }
    adapter.layers.forEach((loras, i) => {
      for (const name of LORA_TARGETS) {
        const lora = loras[name];
        if (!lora) continue;
        const base = this.weights.layers[i][name];
        if (isIa3(lora)) {
          const width = lora.side === 'output' ? base.outFeatures : base.inFeatures;
          if (lora.l.size !== width) {
            throw new RangeError(
              `setAdapter: layer ${i} '${name}' has an IA³ vector of ${lora.l.size} values on its ${lora.side}, ` +
                `but the projection's ${lora.side} has ${width} features`,
            );
          }
          continue;
        }
        const [r, inA] = lora.a.shape;
        const [outB, rB] = lora.b.shape;
        if (inA !== base.inFeatures || outB !== base.outFeatures || rB !== r) {
          throw new RangeError(
            `setAdapter: layer ${i} '${name}' has A [${lora.a.shape}] and B [${lora.b.shape}], ` +
              `but the projection is [${base.outFeatures}, ${base.inFeatures}] (A must be [r, in], B [out, r])`,
          );
        }
        if (lora.dora && lora.dora.m.size !== base.outFeatures) {
          throw new RangeError(
            `setAdapter: layer ${i} '${name}' has a DoRA magnitude of ${lora.dora.m.size} values, but the projection has ${base.outFeatures} outputs`,
          );
        }
      }
    });
  }

  /** One sequence's tokens at positions start..; the logits [V] of the last. A batched model takes forwardBatch. */
  async forward(tokens: readonly number[], start: number): Promise<Float32Array> {
    if (this.sequences !== 1) throw new RangeError(`forward: the model decodes ${this.sequences} sequences; use forwardBatch`);
    return (await this.forwardBatch([tokens], start))[0];
  }

  /**
   * Every sequence's next tokens (as many for each) at positions start..; returns each sequence's logits [V] of
   * its last token.
   */
  async forwardBatch(tokens: readonly (readonly number[])[], start: number): Promise<Float32Array[]> {
    if (this.disposed) throw new RangeError('forward: the model was disposed');
    if (tokens.length !== this.sequences) throw new RangeError(`forward: tokens for ${tokens.length} sequences; the model decodes ${this.sequences}`);
    const count = tokens[0].length;
    if (count === 0) throw new RangeError('forward: no tokens');
    if (tokens.some((t) => t.length !== count)) throw new RangeError('forward: batched sequences advance together, with as many tokens each');
    if (start + count > this.contextLength) {
      throw new RangeError(`forward: positions ${start}..${start + count - 1} exceed the context of ${this.contextLength} tokens`);
    }
    for (const id of tokens.flat()) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`forward: token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
    }
    // Checked before anything is recorded (SlotLinear checks again, as it runs).
    if (this.slotSource) {
      const { slots, width } = this.slotSource;
      if (slots.disposed) throw new RangeError('forward: the AdapterSlots were disposed; give the model live slots with setSlots');
      if (slots.maxRank > width) {
        throw new RangeError(`forward: an adapter of rank ${slots.maxRank} in its slots, more than the ${width} the model planned for: call setSlots again`);
      }
    }
    // The virtual tokens run with the first forward (token 0 stands in for each: the prompt replaces its row).
    const p = this.virtualTokens;
    const ids = p > 0 && start === 0 ? tokens.map((t) => [...new Array<number>(p).fill(0), ...t]) : tokens;
    const first = p > 0 && start === 0 ? 0 : start + p;
    const length = ids[0].length;
    for (let at = 0; at < length; at += this.maxChunk) {
      const chunk = ids.map((t) => t.slice(at, at + this.maxChunk));
      this.recordChunk(chunk, first + at, at + chunk[0].length === length);
      this.ctx.flush();
    }
    const logits = (await this.ctx.read(this.act.logits)) as Float32Array;
    const v = this.vocabSize;
    return Array.from({ length: this.sequences }, (_, j) => logits.slice(j * v, (j + 1) * v));
  }

  /**
   * Creates every pipeline generation needs before the first token, all at once (GpuContext.prepareKernels),
   * from a rehearsal of forward's own recording, so it asks for the kernels real chunks will; it changes nothing
   * (no GPU work; the cache is untouched). The kernels' tiles follow the powers of two of a chunk's tokens and of
   * the keys it sees, so the rehearsal runs a prefill of each power of two up to the chunk and a decoded token
   * after each power of two of cached keys. With an adapter set, its fused products are the ones prepared.
   * Returns how many pipelines it created.
   */
  async preparePipelines(): Promise<number> {
    if (this.disposed) throw new RangeError('preparePipelines: the model was disposed');
    const n = this.sequences;
    const zeros = (t: number) => Array.from({ length: n }, () => new Array<number>(t).fill(0));
    return this.ctx.prepareKernels(() => {
      for (let t = 1; t <= this.maxChunk; t *= 2) this.recordChunk(zeros(t), 0, true);
      for (let keys = 2; keys <= this.cacheLength; keys *= 2) this.recordChunk(zeros(1), keys - 1, true);
    });
  }

  /** Records the dispatches for T tokens of every sequence at positions start..start+T-1. */
  private recordChunk(tokens: readonly (readonly number[])[], start: number, computeLogits: boolean): void {
    const { ctx, config: c, weights: w, act: a } = this;
    const n = this.sequences;
    const t = tokens[0].length;
    const count = t * n;
    const rows = (x: Tensor) => leadingRows(x, count);
    // Token-major rows: row i·N + j is sequence j's token i.
    const ids = Uint32Array.from({ length: count }, (_, r) => tokens[r % n][Math.floor(r / n)]);
    ctx.write(a.ids, ids);
    ctx.write(a.positions, Uint32Array.from(ids, (_, r) => start + Math.floor(r / n)));
    const x = rows(a.x);
    if (w.tokenEmbedding instanceof HostEmbedding) ctx.write(x, w.tokenEmbedding.gather([...ids]));
    else embeddingForward(ctx, rows(a.ids), w.tokenEmbedding, x);
    if (this.prompt && start < this.virtualTokens) promptEmbeddingForward(ctx, rows(a.positions), this.prompt, x);
    const inputs = {
      ctx,
      config: c,
      tokens: count,
      positions: rows(a.positions),
      seqStart: leadingRows(a.seqStart, t),
      invFreq: this.invFreq,
      dropout: null,
      kvCache: { keys: this.keyCache, values: this.valueCache, start, sequences: n },
    };
    // The training forward's block, with the cache: x is updated in place, layer after layer.
    for (const block of this.blocks) blockForward(inputs, block, a.layer, x, x);
    if (!computeLogits) return;
    // Only each sequence's last token's logits are needed to pick its next token: the chunk's last N rows.
    const hiddenBytes = c.hiddenSize * 4;
    ctx.copy(x, a.last, n * hiddenBytes, (count - n) * hiddenBytes, 0);
    rmsnormForward(ctx, a.last, w.outputNorm, a.lastNormed, a.lastRstd, c.rmsNormEps);
    linearForward(ctx, w.output, a.lastNormed, a.logits);
  }

  /** Bytes of KV cache and activations this model holds (weights are counted by their loader). */
  get activationBytes(): number {
    return this.ownTensors().reduce((sum, t) => sum + t.byteSize, 0);
  }

  /**
   * Returns the KV cache, activations and frequencies to the allocator, so another model can be loaded in the
   * same context. The weights belong to their uploader (`releaseModel`). The model is unusable afterwards.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.ownTensors()) this.ctx.release(t);
  }

  private ownTensors(): Tensor[] {
    const scratch = this.loraScratch ? [this.loraScratch] : [];
    const { layer, ...own } = this.act;
    const { u: _u, ...blockBuffers } = layer;
    // The shared norms appear twice in the block's buffers; each tensor is counted (and released) once.
    const blockTensors = new Set(Object.values(blockBuffers).filter((b): b is Tensor => b !== null));
    return [...Object.values(own), ...blockTensors, ...this.keyCache, ...this.valueCache, this.invFreq, ...scratch];
  }
}
