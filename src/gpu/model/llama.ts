/**
 * Inference forward pass of the Llama family on the GPU, with a KV cache: `forward(tokens, start)` runs new
 * tokens at positions start.. against the cached keys/values of positions < start and returns the logits of the
 * last token. Activations and the cache are allocated once, when the model is made; a forward records its
 * dispatches and submits once per chunk of tokens, reading back only the [V] logits.
 *
 * With a prompt-tuning adapter the P virtual tokens come first: a forward at start 0 runs them (positions 0..P-1,
 * their embeddings the prompt's) before the tokens, which sit at positions P + start.., as PEFT prepends them to
 * the input embeddings. Callers keep counting from 0; the context they see is the cache less P.
 */
import type { GpuContext } from '../context';
import { embeddingForward } from '../kernels/embedding';
import { promptEmbeddingForward } from '../kernels/prompt_embedding';
import { HostEmbedding } from './host-embedding';
import { rmsnormForward } from '../kernels/rmsnorm';
import { isIa3, type InferenceAdapter } from '../lora/adapted-linear';
import { adaptedProjections } from '../lora/projections';
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
}

/** The model's own buffers for a chunk of T ≤ maxChunk tokens; the blocks' live in `layer`. */
interface Activations {
  ids: Tensor; // [T] u32
  positions: Tensor; // [T] u32
  seqStart: Tensor; // [T] u32, all zero: one sequence
  x: Tensor; // [T, C] residual stream, updated in place by every block
  /** One block's buffers, shared by all layers (nothing is kept for a backward). */
  layer: LayerActivations;
  last: Tensor; // [1, C] final hidden state of the last token
  lastNormed: Tensor; // [1, C]
  lastRstd: Tensor; // [1]
  logits: Tensor; // [1, V]
}

export class LlamaModel {
  /** Positions the KV cache holds (virtual tokens included). */
  private readonly cacheLength: number;
  readonly vocabSize: number;
  private readonly maxChunk: number;
  private readonly act: Activations;
  private readonly keyCache: Tensor[]; // per layer [maxContext, Hkv, D]
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
    this.maxChunk = Math.min(options.maxChunkTokens ?? 256, this.cacheLength);
    const t = this.maxChunk;
    const f32 = (shape: number[], label: string) => ctx.tensor(shape, 'f32', label);
    this.act = {
      ids: ctx.tensor([t], 'u32', 'ids'),
      positions: ctx.tensor([t], 'u32', 'positions'),
      seqStart: ctx.tensor([t], 'u32', 'seqStart'),
      x: f32([t, c.hiddenSize], 'x'),
      layer: planLayerActivations(f32, c, t, 'layer', {}, { sharedNorms: true }),
      last: f32([1, c.hiddenSize], 'last'),
      lastNormed: f32([1, c.hiddenSize], 'lastNormed'),
      lastRstd: f32([1], 'lastRstd'),
      logits: f32([1, c.vocabSize], 'logits'),
    };
    this.blocks = weights.layers.map((w, index) => ({ index, weights: w, projections: adaptedProjections(w) }));
    const cacheShape = [this.cacheLength, c.numKvHeads, c.headDim];
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
    const width = Math.max(0, ...this.blocks.flatMap((b) => LORA_TARGETS.map((t) => b.projections[t].savedWidth)));
    if (this.loraScratch) this.ctx.release(this.loraScratch);
    this.loraScratch = width > 0 ? this.ctx.tensor([this.maxChunk * width], 'f32', 'adapter.saved') : null;
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

  async forward(tokens: readonly number[], start: number): Promise<Float32Array> {
    if (this.disposed) throw new RangeError('forward: the model was disposed');
    if (tokens.length === 0) throw new RangeError('forward: no tokens');
    if (start + tokens.length > this.contextLength) {
      throw new RangeError(
        `forward: positions ${start}..${start + tokens.length - 1} exceed the context of ${this.contextLength} tokens`,
      );
    }
    for (const id of tokens) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`forward: token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
    }
    // The virtual tokens run with the first forward (token 0 stands in for each: the prompt replaces its row).
    const p = this.virtualTokens;
    const ids = p > 0 && start === 0 ? [...new Array<number>(p).fill(0), ...tokens] : tokens;
    const first = p > 0 && start === 0 ? 0 : start + p;
    for (let at = 0; at < ids.length; at += this.maxChunk) {
      const chunk = ids.slice(at, at + this.maxChunk);
      this.recordChunk(chunk, first + at, at + chunk.length === ids.length);
      this.ctx.flush();
    }
    return (await this.ctx.read(this.act.logits)) as Float32Array;
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
    return this.ctx.prepareKernels(() => {
      for (let t = 1; t <= this.maxChunk; t *= 2) this.recordChunk(new Array<number>(t).fill(0), 0, true);
      for (let keys = 2; keys <= this.cacheLength; keys *= 2) this.recordChunk([0], keys - 1, true);
    });
  }

  /** Records the dispatches for T tokens at positions start..start+T-1. */
  private recordChunk(tokens: readonly number[], start: number, computeLogits: boolean): void {
    const { ctx, config: c, weights: w, act: a } = this;
    const t = tokens.length;
    const rows = (x: Tensor) => leadingRows(x, t);
    ctx.write(a.ids, Uint32Array.from(tokens));
    ctx.write(a.positions, Uint32Array.from(tokens, (_, i) => start + i));
    const x = rows(a.x);
    if (w.tokenEmbedding instanceof HostEmbedding) ctx.write(x, w.tokenEmbedding.gather(tokens));
    else embeddingForward(ctx, rows(a.ids), w.tokenEmbedding, x);
    if (this.prompt && start < this.virtualTokens) promptEmbeddingForward(ctx, rows(a.positions), this.prompt, x);
    const inputs = {
      ctx,
      config: c,
      tokens: t,
      positions: rows(a.positions),
      seqStart: rows(a.seqStart),
      invFreq: this.invFreq,
      dropout: null,
      kvCache: { keys: this.keyCache, values: this.valueCache, start },
    };
    // The training forward's block, with the cache: x is updated in place, layer after layer.
    for (const block of this.blocks) blockForward(inputs, block, a.layer, x, x);
    if (!computeLogits) return;
    // Only the last token's logits are needed to pick the next token.
    const hiddenBytes = c.hiddenSize * 4;
    ctx.copy(x, a.last, hiddenBytes, (t - 1) * hiddenBytes, 0);
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
