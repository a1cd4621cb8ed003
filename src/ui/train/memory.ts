/**
 * The Train view's memory plan: the engine's planner (src/train/memory-plan.ts) for the form's settings on the
 * chosen base, against the device's limits and the budget (the user's, or a share of what the device reports), so
 * the run starts with the micro-batch, accumulation and checkpointing that fit, and one that no plan fits is refused
 * with its reason before it starts.
 */
import type { ModelConfig } from '../../model/config';
import type { TrainingConfig } from '../../train/config';
import { type BaseStorage, F32_BASE } from '../../model/quant/storage';
import type { MemoryEstimate } from '../../train/memory-estimate';
import { type MemoryPlan, noPlanText, planMemory, planReasonText, planText, withPlan } from '../../train/memory-plan';
import { FORM_WORDS } from './form-settings';

export interface DeviceMemory {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** The GPU's own memory, when the device reports it. */
  memoryBytes?: number;
}

export interface MemoryCheck {
  plan: MemoryPlan;
  estimate: MemoryEstimate;
  fits: boolean;
  /** "micro-batch 2 × accumulation 4, checkpointing on: 1.80 GiB of 4.00 GiB". */
  planLine: string;
  /** Why the plan differs from the form (empty when it does not). */
  reason: string;
  /** The refusal, naming the nearest plans that would fit (empty when it fits). */
  message: string;
  /** The form's settings as the run will use them. */
  config: TrainingConfig;
}

/** `device`: null when no device is known yet (only the budget is checked then). */
export function checkRunMemory(
  config: TrainingConfig,
  model: ModelConfig,
  device: DeviceMemory | null,
  budgetBytes: number | undefined,
  /** The base's own storage (its file's formats; float linear weights become NF4 with QLoRA). */
  stored: BaseStorage = F32_BASE,
): MemoryCheck {
  const plan = planMemory({
    model,
    stored,
    config,
    limits: {
      maxBufferSize: device?.maxBufferSize ?? Number.POSITIVE_INFINITY,
      maxStorageBufferBindingSize: device?.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY,
    },
    budgetBytes,
    deviceMemoryBytes: device?.memoryBytes,
  });
  return {
    plan,
    estimate: plan.estimate,
    fits: plan.fits,
    planLine: planText(plan),
    reason: planReasonText(plan),
    message: plan.fits ? '' : noPlanText(plan, FORM_WORDS),
    config: plan.fits ? withPlan(config, plan) : config,
  };
}
