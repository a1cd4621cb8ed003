/**
 * The Train view's memory figure: the engine's estimator (src/train/memory-estimate.ts) for the form's settings on
 * the chosen base, checked against the device's limits and the user's budget, so a run that cannot fit is refused
 * with its reason before it starts.
 */
import type { ModelConfig } from '../../model/config';
import type { TrainingConfig } from '../../train/config';
import { adviceTexts, checkMemoryFits, type MemoryEstimate, memoryVerdictText, type WeightStorage } from '../../train/memory-estimate';
import { FORM_WORDS } from './form-settings';

export interface DeviceBufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface MemoryCheck {
  estimate: MemoryEstimate;
  fits: boolean;
  problems: string[];
  /** Settings changes that would help, named by the form's labels. */
  advice: string[];
  /** The problems and the advice in one sentence, for a refusal. */
  message: string;
}

/** `limits`: null when no device is known yet (only the budget is checked then). */
export function checkRunMemory(
  config: TrainingConfig,
  model: ModelConfig,
  limits: DeviceBufferLimits | null,
  budgetBytes: number | undefined,
  /** The base's own storage (a quantized GGUF stays as it is; float weights become NF4 with QLoRA). */
  stored: WeightStorage = 'f32',
): MemoryCheck {
  const verdict = checkMemoryFits(
    {
      config: model,
      weights: stored === 'f32' && config.quant === 'nf4' ? 'nf4' : stored,
      rank: config.rank,
      targets: config.targets,
      maxTokens: config.batchSize * config.seqLen,
      checkpointing: config.checkpointing,
      dropout: config.dropout > 0,
    },
    {
      maxBufferSize: limits?.maxBufferSize ?? Number.POSITIVE_INFINITY,
      maxStorageBufferBindingSize: limits?.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY,
      budgetBytes,
    },
  );
  return {
    estimate: verdict.estimate,
    fits: verdict.fits,
    problems: verdict.problems,
    advice: adviceTexts(verdict, FORM_WORDS),
    message: memoryVerdictText(verdict, FORM_WORDS),
  };
}
