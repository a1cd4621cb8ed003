/**
 * One model on the GPU, ready to generate: its files' config and tokenizer, its uploaded weights and its KV cache.
 * The worker holds at most one. Its weights are the worker's one base on the GPU, lent to Train and Compare
 * (base-lease.ts); `dispose` gives back every buffer of its own, and the weights once no lease holds them.
 */
import { adapterBatch, type AdapterBatch, type GpuLoraAdapter } from '../adapters/gpu-adapter';
import type { LoraAdapter } from '../adapters/lora-weights';
import type { GpuContext } from '../gpu/context';
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel, type UploadedModel } from '../gpu/model/upload';
import type { TrainingConfig } from '../train/config';
import { generate, generateBatch, type GenerationResult, type GenerationStep } from '../generate/generate';
import { type ChatTemplate, chatPrompt, chatPromptBos, chatTemplateFor } from '../model/chat';
import type { Tokenizer } from '../model/tokenizer';
import { closeModel, type LoadedModel } from '../model/load';
import { type BaseLease, sameModelSource, SharedBase } from './base-lease';
import type { ModelSource } from './engine-types';
import type { GenerateSettings, GenerationOutcome, GenerationProgress, ModelSummary } from './protocol';
import type { TrainModelSource } from './train-protocol';

/**
 * The KV cache is sized for the whole context up front; files declare up to 128K tokens, which would cost
 * gigabytes for a playground. Prompt plus output beyond this many tokens stops with reason 'context'.
 */
export const PLAYGROUND_CONTEXT = 2048;

export class ModelSession {
  private disposed = false;
  private template: ChatTemplate | null = null;

  /** The session's own hold on its weights, let go by `dispose`. */
  private readonly ownLease: BaseLease;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly loaded: LoadedModel,
    private readonly base: SharedBase,
    private readonly model: LlamaModel,
    readonly summary: ModelSummary,
    private readonly source: ModelSource | null,
  ) {
    this.ownLease = base.lend();
  }

  /**
   * Uploads an opened model. On failure nothing stays on the GPU and the files are closed. `source` says where it
   * came from, so a Train run on the same file can share its weights (null: never shared with a run).
   */
  static async create(
    ctx: GpuContext,
    loaded: LoadedModel,
    startedAt: number,
    source: ModelSource | null = null,
  ): Promise<ModelSession> {
    let uploaded: UploadedModel | null = null;
    try {
      uploaded = await uploadModel(ctx, loaded.weights);
      const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, {
        invFreq: uploaded.invFreq,
        maxContext: PLAYGROUND_CONTEXT,
      });
      // Every pipeline a generation needs, created now and at once, so the first token waits on none.
      await model.preparePipelines();
      // Surfaces device errors (out of memory, validation) now rather than at the first generation.
      await ctx.sync();
      const summary = summarize(loaded, uploaded, model, performance.now() - startedAt);
      return new ModelSession(ctx, loaded, new SharedBase(ctx, uploaded), model, summary, source);
    } catch (error) {
      if (uploaded) releaseModel(ctx, uploaded);
      await closeModel(loaded);
      throw error;
    }
  }

  async generate(
    settings: GenerateSettings,
    signal: AbortSignal,
    onProgress: (progress: GenerationProgress) => void,
  ): Promise<GenerationOutcome> {
    const started = performance.now();
    const step = progressOf(onProgress);
    const result = await generate(this.model, this.loaded.tokenizer, this.promptIds(settings), { ...settings.sampling, maxTokens: settings.maxTokens, signal }, step);
    return outcomeOf(result, started);
  }

  /**
   * One prompt continued once per column in one batched pass: the base (null) and LoRA adapters resident in slots
   * beside the one base, every step one forward of all of them (same settings, so the same seed, for each). The
   * batch's cache holds the prompt and the tokens asked for, no more. A stop ends every column where it is.
   * `onSlots` hears the GPU bytes of the adapters' slots once they are resident, before the first token.
   */
  async generateBatch(
    settings: GenerateSettings,
    adapters: readonly (LoraAdapter | null)[],
    signal: AbortSignal,
    onProgress: (column: number, progress: GenerationProgress) => void,
    onSlots: (bytes: number) => void = () => {},
  ): Promise<GenerationOutcome[]> {
    const started = performance.now();
    const promptIds = this.promptIds(settings);
    const lease = this.lendBase();
    let batch: AdapterBatch | null = null;
    try {
      batch = adapterBatch(this.ctx, lease.uploaded, adapters, {
        maxContext: Math.min(PLAYGROUND_CONTEXT, promptIds.length + settings.maxTokens + 1),
      });
      onSlots(batch.slots.bytes);
      await batch.model.preparePipelines();
      const steps = adapters.map((_, j) => progressOf((p) => onProgress(j, p)));
      const options = { ...settings.sampling, maxTokens: settings.maxTokens, signal };
      const results = await generateBatch(batch.model, this.loaded.tokenizer, promptIds, adapters.map(() => options), (j, s) => steps[j](s));
      return results.map((r) => outcomeOf(r, started));
    } finally {
      batch?.dispose();
      lease.release();
    }
  }

  private promptIds(settings: GenerateSettings): number[] {
    const { tokenizer, chatTemplate } = this.loaded;
    const text = settings.chat ? chatPrompt(chatTemplate, tokenizer, settings.prompt) : settings.prompt;
    return tokenizer.encode(text, settings.chat ? { addBos: chatPromptBos(tokenizer, text) } : {});
  }

  /** The tokenizer and chat template that datasets are tokenized with for this model (throws if the template is unusable). */
  dataTokenizer(): { tokenizer: Tokenizer; template: ChatTemplate } {
    this.template ??= chatTemplateFor(this.loaded.tokenizer, this.loaded.chatTemplate);
    return { tokenizer: this.loaded.tokenizer, template: this.template };
  }

  /** The opened files (config, tokenizer, weight readers): what training, merging and evaluation start from. */
  get files(): LoadedModel {
    return this.loaded;
  }

  /** A hold on the uploaded weights (this file, not quantized further), e.g. to evaluate with; release it when done. */
  lendBase(): BaseLease {
    if (this.disposed) throw new Error(`${this.loaded.name} was unloaded: its weights cannot be lent`);
    return this.base.lend();
  }

  /**
   * A hold on the weights for a Train run on `source`, or null when the run's base is another file, or the NF4
   * copy QLoRA trains (a different weight format): such a run uploads its own base, as the CLI always does.
   */
  lendBaseFor(source: TrainModelSource, quant: TrainingConfig['quant']): BaseLease | null {
    if (quant !== 'none' || !this.source || !sameModelSource(this.source, source)) return null;
    return this.lendBase();
  }

  /** The uploaded inference model, e.g. to evaluate losses or to generate with an adapter attached. */
  get inference(): LlamaModel {
    return this.model;
  }

  /**
   * Attaches an uploaded LoRA adapter to the inference model (null: the base alone). The caller owns the adapter's
   * buffers (releaseLoraAdapter) and must detach it before releasing them.
   */
  setAdapter(adapter: GpuLoraAdapter | null): void {
    this.model.setAdapter(adapter ? adapter.inference : null);
  }

  /**
   * Gives back the cache and activations, and the weights unless a lease still holds them (a running Train keeps
   * its base until it lets go), and frees the pooled buffers for the next model.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    this.ownLease.release();
    this.ctx.arena.trim();
    await closeModel(this.loaded);
  }
}

/** A generation's steps as the studio's progress: the text, the token count and the decode speed so far. */
function progressOf(onProgress: (progress: GenerationProgress) => void): (step: GenerationStep) => void {
  let tokens = 0;
  let firstTokenAt = 0;
  return (step) => {
    tokens++;
    const now = performance.now();
    if (tokens === 1) firstTokenAt = now;
    // The first token comes straight out of the prefill, so decode speed is measured from it.
    const seconds = (now - firstTokenAt) / 1000;
    onProgress({ text: step.text, tokens, tokensPerSecond: tokens > 1 && seconds > 0 ? (tokens - 1) / seconds : null });
  };
}

function outcomeOf(result: GenerationResult, started: number): GenerationOutcome {
  return {
    text: result.text,
    tokens: result.ids.length,
    promptTokens: result.promptTokens,
    stopReason: result.stopReason,
    prefillTokensPerSecond: result.prefillTokensPerSecond,
    decodeTokensPerSecond: result.decodeTokensPerSecond,
    milliseconds: performance.now() - started,
  };
}

function summarize(loaded: LoadedModel, uploaded: UploadedModel, model: LlamaModel, ms: number): ModelSummary {
  const c = loaded.config;
  const refs = [...loaded.weights.tensors.values()];
  const parameters = refs.reduce((n, r) => n + r.shape.reduce((a, b) => a * b, 1), 0);
  const quantization = [...new Set(refs.map((r) => r.dtype))].sort();
  const warnings = [...loaded.tokenizer.warnings];
  let chatTemplate: ModelSummary['chatTemplate'] = 'plain';
  try {
    chatTemplate = chatTemplateFor(loaded.tokenizer, loaded.chatTemplate).kind;
  } catch (error) {
    warnings.push(`The model's chat template cannot be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    name: loaded.name,
    format: loaded.format,
    architecture: c.architecture,
    layers: c.numLayers,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
    contextLength: model.contextLength,
    fileContextLength: c.contextLength,
    parameters,
    weightBytes: uploaded.weightBytes,
    cacheBytes: model.activationBytes,
    quantization,
    tiedEmbeddings: c.tiedEmbeddings,
    chatTemplate,
    warnings,
    loadMilliseconds: ms,
  };
}
