/**
 * Prompt tuning's trainable part (Lester et al. 2021, PEFT's PROMPT_TUNING): P virtual-token embeddings [P, C] in one
 * ParameterBlock, like the LoRA matrices and IA³ vectors, so the optimizer and the gradient norm are unchanged.
 * Every layer runs as the frozen base; the batch's first P slots of each sequence take these rows as their
 * embeddings (PackedForward), and their gradient is the residual gradient at those slots, summed over sequences.
 * Initialised on the GPU to the embeddings of `init`'s token ids (the table in whatever format it is stored).
 */
import type { GpuContext } from '../context';
import { embeddingForward } from '../kernels/embedding';
import type { InferenceAdapter, LayerProjections } from '../lora/adapted-linear';
import { ParameterBlock, type BlockSlot } from '../lora/parameter-block';
import { adaptedProjections } from '../lora/projections';
import { HostEmbedding } from '../model/host-embedding';
import type { GpuModelWeights } from '../model/weights';
import type { Tensor } from '../tensor';
import { TrainerSettingsError } from './lora-adapters';
import type { PromptSettings } from './types';

export class PromptAdapters {
  readonly block = new ParameterBlock();
  readonly layers: LayerProjections[];
  /** One learning rate for the whole prompt: LoRA+'s second group starts past the end. */
  readonly bStart: number;
  readonly virtualTokens: number;
  private readonly slot: BlockSlot;

  constructor(ctx: GpuContext, weights: GpuModelWeights, readonly settings: PromptSettings) {
    const p = settings.virtualTokens;
    const [vocab, channels] = weights.tokenEmbedding.shape;
    if (!Number.isInteger(p) || p < 1) throw new TrainerSettingsError(`prompt tuning needs at least 1 virtual token, got ${p}`);
    if (settings.init.length !== p) {
      throw new TrainerSettingsError(`the prompt's initial tokens are ${settings.init.length} ids for ${p} virtual tokens`);
    }
    const bad = settings.init.find((id) => id >= vocab);
    if (bad !== undefined) throw new TrainerSettingsError(`the prompt's initial token ${bad} is outside the vocabulary (0..${vocab - 1})`);
    this.virtualTokens = p;
    this.slot = this.block.add('prompt_embeddings', [p, channels]);
    this.bStart = this.block.length;
    this.block.allocate(ctx, 'prompt');
    this.layers = weights.layers.map((layer) => adaptedProjections(layer));
  }

  /** The prompt [P, C] in the parameter block. */
  get prompt(): Tensor {
    return this.block.view('params', this.slot);
  }

  /** Its gradient [P, C], accumulated over micro-batches. */
  get dPrompt(): Tensor {
    return this.block.view('grads', this.slot);
  }

  /** Writes the embeddings of the initial token ids into the prompt (GPU gather, or the host table's rows). */
  initialise(ctx: GpuContext, weights: GpuModelWeights): void {
    const table = weights.tokenEmbedding;
    if (table instanceof HostEmbedding) {
      ctx.write(this.prompt, table.gather(Array.from(this.settings.init)));
      return;
    }
    const ids = ctx.tensor([this.virtualTokens], 'u32', 'prompt.init', this.settings.init);
    embeddingForward(ctx, ids, table, this.prompt);
    ctx.flush();
    ctx.release(ids);
  }

  /** The prompt for inference (LlamaModel.setAdapter): a view of the parameter block, following every step. */
  view(): InferenceAdapter {
    return { layers: this.layers.map(() => ({})), prompt: this.prompt };
  }

  /** The prompt [P·C] out of a host copy of the parameter (or gradient) buffer. */
  embeddings(copy: Float32Array): Float32Array {
    return this.block.unpack(copy).get(this.slot.name)!;
  }

  /** A parameter buffer copy holding `embeddings` [P·C]. */
  pack(embeddings: Float32Array): Float32Array {
    const size = this.slot.shape[0] * this.slot.shape[1];
    if (embeddings.length !== size) {
      throw new TrainerSettingsError(`the prompt has ${embeddings.length} values, expected ${this.slot.shape.join(' × ')} = ${size}`);
    }
    return this.block.pack(new Map([[this.slot.name, embeddings]]));
  }

  /** Bytes of parameters, gradients and both AdamW moments. */
  get bytes(): number {
    return 4 * this.block.length * 4;
  }

  release(ctx: GpuContext): void {
    this.block.release(ctx);
  }
}
