/**
 * Inference forward pass of the Llama family on the GPU, with a KV cache: `forward(tokens, start)` runs new
 * tokens at positions start.. against the cached keys/values of positions < start and returns the logits of the
 * last token. Activations and the cache are allocated once, when the model is made; a forward records its
 * dispatches and submits once per chunk of tokens, reading back only the [V] logits.
 */
import type { GpuContext } from '../context';
import { attentionForward } from '../kernels/attention';
import { embeddingForward } from '../kernels/embedding';
import { matmulForward, type LowRankTerm } from '../kernels/matmul';
import { rmsnormForward } from '../kernels/rmsnorm';
import { ropeForward } from '../kernels/rope';
import { swigluForward } from '../kernels/swiglu';
import { Tensor } from '../tensor';
import { ropeInverseFrequencies } from '../../model/rope-frequencies';
import { leadingRows, linearForward, reshaped, type LinearLayer } from './linear';
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

/** The projections a LoRA adapter can adapt, in GpuLayerWeights' names. */
export type AdaptedProjection = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/** One projection's unmerged LoRA for inference: y += scale·(x·Aᵀ)·Bᵀ. Nothing here is trained. */
export interface InferenceLora {
  a: Tensor; // [r, in] f32
  b: Tensor; // [out, r] f32, q/k rows in the base's RoPE layout
  scale: number;
}

/** Per layer, the adapted projections (others run as the frozen base). Owned by whoever uploaded it. */
export interface InferenceAdapter {
  layers: Partial<Record<AdaptedProjection, InferenceLora>>[];
}

/** Activation buffers for a chunk of T ≤ maxChunk tokens (llm.c's ActivationTensors). */
interface Activations {
  ids: Tensor; // [T] u32
  positions: Tensor; // [T] u32
  seqStart: Tensor; // [T] u32, all zero: one sequence
  x: Tensor; // [T, C] residual stream
  x2: Tensor; // [T, C] residual stream, ping-pong partner of x
  normed: Tensor; // [T, C]
  rstd: Tensor; // [T]
  q: Tensor; // [T, Hq·D]
  k: Tensor; // [T, Hkv·D]
  v: Tensor; // [T, Hkv·D]
  qHeadNorm: Tensor; // [T·Hq, D] scratch for Qwen3's q/k norms
  headRstd: Tensor; // [T·Hq]
  attn: Tensor; // [T, Hq·D]
  lse: Tensor; // [Hq, T]
  gate: Tensor; // [T, F]
  up: Tensor; // [T, F]
  act: Tensor; // [T, F]
  last: Tensor; // [1, C] final hidden state of the last token
  lastNormed: Tensor; // [1, C]
  lastRstd: Tensor; // [1]
  logits: Tensor; // [1, V]
}

export class LlamaModel {
  readonly contextLength: number;
  readonly vocabSize: number;
  private readonly maxChunk: number;
  private readonly act: Activations;
  private readonly keyCache: Tensor[]; // per layer [maxContext, Hkv, D]
  private readonly valueCache: Tensor[];
  private readonly invFreq: Tensor; // [D/2]
  private adapter: InferenceAdapter | null = null;
  /** x·Aᵀ of the adapted projection being run, [T·r] flat (viewed as [T, r]); allocated with the adapter. */
  private loraScratch: Tensor | null = null;
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
    this.contextLength = Math.min(options.maxContext ?? c.contextLength, c.contextLength, window);
    this.vocabSize = c.vocabSize;
    this.maxChunk = Math.min(options.maxChunkTokens ?? 256, this.contextLength);
    const t = this.maxChunk;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const f32 = (shape: number[], label: string) => ctx.tensor(shape, 'f32', label);
    this.act = {
      ids: ctx.tensor([t], 'u32', 'ids'),
      positions: ctx.tensor([t], 'u32', 'positions'),
      seqStart: ctx.tensor([t], 'u32', 'seqStart'),
      x: f32([t, c.hiddenSize], 'x'),
      x2: f32([t, c.hiddenSize], 'x2'),
      normed: f32([t, c.hiddenSize], 'normed'),
      rstd: f32([t], 'rstd'),
      q: f32([t, qDim], 'q'),
      k: f32([t, kvDim], 'k'),
      v: f32([t, kvDim], 'v'),
      qHeadNorm: f32([t * c.numHeads, c.headDim], 'qHeadNorm'),
      headRstd: f32([t * c.numHeads], 'headRstd'),
      attn: f32([t, qDim], 'attn'),
      lse: f32([c.numHeads, t], 'lse'),
      gate: f32([t, c.intermediateSize], 'gate'),
      up: f32([t, c.intermediateSize], 'up'),
      act: f32([t, c.intermediateSize], 'act'),
      last: f32([1, c.hiddenSize], 'last'),
      lastNormed: f32([1, c.hiddenSize], 'lastNormed'),
      lastRstd: f32([1], 'lastRstd'),
      logits: f32([1, c.vocabSize], 'logits'),
    };
    const cacheShape = [this.contextLength, c.numKvHeads, c.headDim];
    this.keyCache = weights.layers.map((_, i) => f32(cacheShape, `kcache.${i}`));
    this.valueCache = weights.layers.map((_, i) => f32(cacheShape, `vcache.${i}`));
    const invFreq = options.invFreq ?? ropeInverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling);
    this.invFreq = ctx.tensor([c.headDim / 2], 'f32', 'invFreq', invFreq);
    if (options.adapter) this.setAdapter(options.adapter);
  }

  /**
   * Applies a LoRA adapter unmerged (works on quantized bases too, whose weights cannot absorb B·A), or removes it
   * with null. The KV cache holds keys/values of the previous adapter, so the next forward should start at 0.
   */
  setAdapter(adapter: InferenceAdapter | null): void {
    if (this.disposed) throw new RangeError('setAdapter: the model was disposed');
    const maxRank = adapter ? this.checkAdapter(adapter) : 0;
    // Checked first, so a refused adapter leaves the current one in place.
    if (this.loraScratch) this.ctx.release(this.loraScratch);
    this.loraScratch = maxRank > 0 ? this.ctx.tensor([this.maxChunk * maxRank], 'f32', 'lora.u') : null;
    this.adapter = adapter;
  }

  /** Every pair's sizes against its projection; returns the largest rank. */
  private checkAdapter(adapter: InferenceAdapter): number {
    if (adapter.layers.length !== this.weights.layers.length) {
      throw new RangeError(`setAdapter: the adapter has ${adapter.layers.length} layers, the model ${this.weights.layers.length}`);
    }
    let maxRank = 0;
    adapter.layers.forEach((loras, i) => {
      for (const [name, lora] of Object.entries(loras) as [AdaptedProjection, InferenceLora][]) {
        const base: LinearLayer = this.weights.layers[i][name];
        const [r, inA] = lora.a.shape;
        const [outB, rB] = lora.b.shape;
        if (inA !== base.inFeatures || outB !== base.outFeatures || rB !== r) {
          throw new RangeError(
            `setAdapter: layer ${i} '${name}' has A [${lora.a.shape}] and B [${lora.b.shape}], ` +
              `but the projection is [${base.outFeatures}, ${base.inFeatures}] (A must be [r, in], B [out, r])`,
          );
        }
        maxRank = Math.max(maxRank, r);
      }
    });
    return maxRank;
  }

  /** y [T, out] = base(x [T, in]) (+ residual) + scale·(x·Aᵀ)·Bᵀ where the layer's projection is adapted. */
  private project(
    layerIndex: number,
    name: AdaptedProjection,
    x: Tensor,
    y: Tensor,
    options: { residual?: Tensor } = {},
  ): void {
    const lora = this.adapter?.layers[layerIndex][name];
    let lowRank: LowRankTerm | undefined;
    if (lora && this.loraScratch) {
      const u = this.loraScratch.view([x.shape[0], lora.a.shape[0]]); // [T, r]
      matmulForward(this.ctx, x, lora.a, u);
      lowRank = { u, b: lora.b, scale: lora.scale };
    }
    linearForward(this.ctx, this.weights.layers[layerIndex][name], x, y, { ...options, lowRank });
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
    for (let at = 0; at < tokens.length; at += this.maxChunk) {
      const chunk = tokens.slice(at, at + this.maxChunk);
      this.recordChunk(chunk, start + at, at + chunk.length === tokens.length);
      this.ctx.flush();
    }
    return (await this.ctx.read(this.act.logits)) as Float32Array;
  }

  /** Records the dispatches for T tokens at positions start..start+T-1. */
  private recordChunk(tokens: readonly number[], start: number, computeLogits: boolean): void {
    const { ctx, config: c, weights: w, act: a } = this;
    const t = tokens.length;
    const rows = (x: Tensor) => leadingRows(x, t);
    ctx.write(a.ids, Uint32Array.from(tokens));
    ctx.write(a.positions, Uint32Array.from(tokens, (_, i) => start + i));
    const x = rows(a.x);
    const x2 = rows(a.x2);
    const normed = rows(a.normed);
    const rstd = rows(a.rstd);
    const q = rows(a.q);
    const k = rows(a.k);
    const v = rows(a.v);
    const attn = rows(a.attn);
    const positions = rows(a.positions);
    const kvBytes = c.numKvHeads * c.headDim * 4;

    embeddingForward(ctx, rows(a.ids), w.tokenEmbedding, x);
    w.layers.forEach((layer, i) => {
      // Attention block: x2 = x + o(attention(rope(q), rope(k), v)).
      rmsnormForward(ctx, x, layer.attnNorm, normed, rstd, c.rmsNormEps);
      this.project(i, 'q', normed, q);
      this.project(i, 'k', normed, k);
      this.project(i, 'v', normed, v);
      if (layer.qNorm && layer.kNorm) {
        this.headNorm(q, c.numHeads, layer.qNorm, t);
        this.headNorm(k, c.numKvHeads, layer.kNorm, t);
      }
      const q3 = reshaped(q, [t, c.numHeads, c.headDim]);
      const k3 = reshaped(k, [t, c.numKvHeads, c.headDim]);
      ropeForward(ctx, q3, q3, positions, this.invFreq, c.ropeLayout);
      ropeForward(ctx, k3, k3, positions, this.invFreq, c.ropeLayout);
      ctx.copy(k, this.keyCache[i], t * kvBytes, 0, start * kvBytes);
      ctx.copy(v, this.valueCache[i], t * kvBytes, 0, start * kvBytes);
      const keys = start + t;
      attentionForward(ctx, {
        q: q3,
        k: reshaped(this.keyCache[i], [keys, c.numKvHeads, c.headDim]),
        v: reshaped(this.valueCache[i], [keys, c.numKvHeads, c.headDim]),
        out: reshaped(attn, [t, c.numHeads, c.headDim]),
        lse: reshaped(a.lse, [c.numHeads, t]),
        seqStart: rows(a.seqStart),
        qOffset: start,
      });
      this.project(i, 'o', attn, x2, { residual: x });
      // MLP block: x = x2 + down(silu(gate(x2)) · up(x2)).
      rmsnormForward(ctx, x2, layer.ffnNorm, normed, rstd, c.rmsNormEps);
      const gate = rows(a.gate);
      const up = rows(a.up);
      const hidden = rows(a.act);
      this.project(i, 'gate', normed, gate);
      this.project(i, 'up', normed, up);
      swigluForward(ctx, gate, up, hidden);
      this.project(i, 'down', hidden, x, { residual: x2 });
    });
    if (!computeLogits) return;
    // Only the last token's logits are needed to pick the next token.
    const hiddenBytes = c.hiddenSize * 4;
    ctx.copy(x, a.last, hiddenBytes, (t - 1) * hiddenBytes, 0);
    rmsnormForward(ctx, a.last, w.outputNorm, a.lastNormed, a.lastRstd, c.rmsNormEps);
    linearForward(ctx, w.output, a.lastNormed, a.logits);
  }

  /** Qwen3's per-head RMSNorm of q or k ([T, H·D] seen as [T·H, D]), in place through a scratch buffer. */
  private headNorm(x: Tensor, heads: number, weight: Tensor, t: number): void {
    const { ctx, config: c, act: a } = this;
    const rowsView = reshaped(x, [t * heads, c.headDim]);
    const scratch = leadingRows(a.qHeadNorm, t * heads);
    rmsnormForward(ctx, rowsView, weight, scratch, leadingRows(a.headRstd, t * heads), c.rmsNormEps);
    ctx.copy(scratch, rowsView, t * heads * c.headDim * 4);
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
    return [...Object.values(this.act), ...this.keyCache, ...this.valueCache, this.invFreq, ...scratch];
  }
}
