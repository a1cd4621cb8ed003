/**
 * One model on the GPU, ready to generate: its files' config and tokenizer, its uploaded weights and its KV cache.
 * The worker holds at most one; `dispose` gives every buffer back so the next model can use the memory.
 */
import type { GpuLoraAdapter } from '../adapters/gpu-adapter';
import type { GpuContext } from '../gpu/context';
import { LlamaModel } from '../gpu/model/llama';
import { releaseModel, uploadModel, type UploadedModel } from '../gpu/model/upload';
import { generate } from '../generate/generate';
import { type ChatTemplate, chatPrompt, chatPromptBos, chatTemplateFor } from '../model/chat';
import type { Tokenizer } from '../model/tokenizer';
import { closeModel, type LoadedModel } from '../model/load';
import type { GenerateSettings, GenerationOutcome, GenerationProgress, ModelSummary } from './protocol';

/**
 * The KV cache is sized for the whole context up front; files declare up to 128K tokens, which would cost
 * gigabytes for a playground. Prompt plus output beyond this many tokens stops with reason 'context'.
 */
export const PLAYGROUND_CONTEXT = 2048;

export class ModelSession {
  private disposed = false;
  private template: ChatTemplate | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly loaded: LoadedModel,
    private readonly uploaded: UploadedModel,
    private readonly model: LlamaModel,
    readonly summary: ModelSummary,
  ) {}

  /** Uploads an opened model. On failure nothing stays on the GPU and the files are closed. */
  static async create(ctx: GpuContext, loaded: LoadedModel, startedAt: number): Promise<ModelSession> {
    let uploaded: UploadedModel | null = null;
    try {
      uploaded = await uploadModel(ctx, loaded.weights);
      const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, {
        invFreq: uploaded.invFreq,
        maxContext: PLAYGROUND_CONTEXT,
      });
      // Surfaces device errors (out of memory, validation) now rather than at the first generation.
      await ctx.sync();
      const summary = summarize(loaded, uploaded, model, performance.now() - startedAt);
      return new ModelSession(ctx, loaded, uploaded, model, summary);
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
    const { tokenizer, chatTemplate } = this.loaded;
    const started = performance.now();
    const text = settings.chat ? chatPrompt(chatTemplate, tokenizer, settings.prompt) : settings.prompt;
    const promptIds = tokenizer.encode(text, settings.chat ? { addBos: chatPromptBos(tokenizer, text) } : {});
    let tokens = 0;
    let firstTokenAt = 0;
    const result = await generate(
      this.model,
      tokenizer,
      promptIds,
      { ...settings.sampling, maxTokens: settings.maxTokens, signal },
      (step) => {
        tokens++;
        const now = performance.now();
        if (tokens === 1) firstTokenAt = now;
        // The first token comes straight out of the prefill, so decode speed is measured from it.
        const seconds = (now - firstTokenAt) / 1000;
        onProgress({ text: step.text, tokens, tokensPerSecond: tokens > 1 && seconds > 0 ? (tokens - 1) / seconds : null });
      },
    );
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

  /** The tokenizer and chat template that datasets are tokenized with for this model (throws if the template is unusable). */
  dataTokenizer(): { tokenizer: Tokenizer; template: ChatTemplate } {
    this.template ??= chatTemplateFor(this.loaded.tokenizer, this.loaded.chatTemplate);
    return { tokenizer: this.loaded.tokenizer, template: this.template };
  }

  /** The opened files (config, tokenizer, weight readers): what training, merging and evaluation start from. */
  get files(): LoadedModel {
    return this.loaded;
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

  /** Gives back the weights, cache and activations, and frees the pooled buffers for the next model. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    releaseModel(this.ctx, this.uploaded);
    this.ctx.arena.trim();
    await closeModel(this.loaded);
  }
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
