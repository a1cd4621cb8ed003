/**
 * Sample generations during a run: the trainer's adapter as it is now, read back from the GPU, put on an
 * inference model that shares the run's uploaded base, and asked to continue a few fixed prompts (greedy, so
 * two samples differ only because the adapter did). The inference model and its KV cache are made on first use
 * and kept for the run; each sample's adapter is uploaded and released around it.
 */
import { adapterFromTrainer } from '../adapters/from-trainer';
import { releaseLoraAdapter, uploadLoraAdapter } from '../adapters/gpu-adapter';
import type { GpuContext } from '../gpu/context';
import type { LoraTarget } from '../gpu/lora/lora-linear';
import { LlamaModel } from '../gpu/model/llama';
import type { UploadedModel } from '../gpu/model/upload';
import type { LoraTrainer } from '../gpu/train/lora-trainer';
import { generate } from '../generate/generate';
import { chatPrompt, chatPromptBos } from '../model/chat';
import type { LoadedModel } from '../model/load';
import type { TrainingConfig } from '../train/config';
import type { SampleSettings, TrainSample } from './train-protocol';

/** Prompt plus continuation fit in this many tokens (the samples are short). */
const SAMPLE_CONTEXT = 256;

export class RunSampler {
  private model: LlamaModel | null = null;

  constructor(
    private readonly ctx: GpuContext,
    private readonly base: LoadedModel,
    private readonly config: TrainingConfig,
    readonly settings: SampleSettings,
  ) {}

  /** Whether this step gets samples (every N steps, and the run's last step). */
  due(step: number, totalSteps: number): boolean {
    const { every, prompts } = this.settings;
    if (prompts.length === 0 || every <= 0) return false;
    return step % every === 0 || step === totalSteps;
  }

  async sample(trainer: LoraTrainer, uploaded: UploadedModel): Promise<TrainSample[]> {
    const { config, base, ctx } = this;
    this.model ??= new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq, maxContext: SAMPLE_CONTEXT });
    const matrices = await trainer.adapterWeights();
    const byKey = new Map(matrices.map((m) => [`${m.layer}.${m.target}`, m]));
    const adapter = adapterFromTrainer(config, { config: base.config, name: base.name }, (layer, target: LoraTarget) => {
      const m = byKey.get(`${layer}.${target}`);
      if (!m) throw new Error(`the trainer has no adapter for layer ${layer} '${target}'`);
      return m;
    });
    const gpuAdapter = uploadLoraAdapter(ctx, adapter, base.config.ropeLayout);
    const model = this.model;
    try {
      model.setAdapter(gpuAdapter.inference);
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
      releaseLoraAdapter(ctx, gpuAdapter);
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
