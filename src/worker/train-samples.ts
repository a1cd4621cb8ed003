/**
 * Sample generations during a run: the trainer's adapter as it is now, a view of its parameters on the GPU (no
 * copy), attached to an inference model that shares the run's uploaded base, and asked to continue a few fixed
 * prompts (greedy, so two samples differ only because the adapter did). The inference model and its KV cache are
 * made on first use and kept for the run; the adapter is attached for the samples and detached after them.
 */
import type { GpuContext } from '../gpu/context';
import { LlamaModel } from '../gpu/model/llama';
import type { UploadedModel } from '../gpu/model/upload';
import type { LoraTrainer } from '../gpu/train/lora-trainer';
import { generate } from '../generate/generate';
import { chatPrompt, chatPromptBos } from '../model/chat';
import type { LoadedModel } from '../model/load';
import type { SampleSettings, TrainSample } from './train-protocol';

/** Prompt plus continuation fit in this many tokens (the samples are short). */
const SAMPLE_CONTEXT = 256;

export class RunSampler {
  private model: LlamaModel | null = null;

  constructor(
    private readonly ctx: GpuContext,
    private readonly base: LoadedModel,
    readonly settings: SampleSettings,
  ) {}

  /** Whether this step gets samples (every N steps, and the run's last step). */
  due(step: number, totalSteps: number): boolean {
    const { every, prompts } = this.settings;
    if (prompts.length === 0 || every <= 0) return false;
    return step % every === 0 || step === totalSteps;
  }

  async sample(trainer: LoraTrainer, uploaded: UploadedModel): Promise<TrainSample[]> {
    const { base, ctx } = this;
    this.model ??= new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq, maxContext: SAMPLE_CONTEXT });
    const model = this.model;
    try {
      // The trainer's B rows are in the uploaded base's own q/k layout, which is what the model reads.
      model.setAdapter(trainer.adapterView());
      const samples: TrainSample[] = [];
      for (const prompt of this.settings.prompts) {
        const text = chatPrompt(base.chatTemplate, base.tokenizer, prompt);
        const ids = base.tokenizer.encode(text, { addBos: chatPromptBos(base.tokenizer, text) });
        const result = await generate(model, base.tokenizer, ids, {
          greedy: true,
          temperature: 1,
          topK: 0,
          topP: 1,
          repetitionPenalty: 1,
          seed: 0,
          maxTokens: Math.min(this.settings.maxTokens, SAMPLE_CONTEXT - ids.length - 1),
          overflow: 'truncate',
        });
        samples.push({ prompt, text: result.text });
      }
      return samples;
    } finally {
      model.setAdapter(null);
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
