/** Refuses optimizer hyperparameters that cannot make a sensible AdamW step, naming the value. */
import type { OptimizerHyperparameters } from './types';
import { TrainerSettingsError } from './lora-adapters';

export function checkHyperparameters(hp: OptimizerHyperparameters): void {
  const fail = (message: string): never => {
    throw new TrainerSettingsError(`step: ${message}`);
  };
  if (!Number.isFinite(hp.learningRate) || hp.learningRate <= 0) {
    fail(`learning rate must be a finite number > 0, got ${hp.learningRate}`);
  }
  if (!(hp.beta1 >= 0 && hp.beta1 < 1)) fail(`beta1 must be in [0, 1), got ${hp.beta1}`);
  if (!(hp.beta2 >= 0 && hp.beta2 < 1)) fail(`beta2 must be in [0, 1), got ${hp.beta2}`);
  if (!(hp.eps > 0) || !Number.isFinite(hp.eps)) fail(`eps must be a finite number > 0, got ${hp.eps}`);
  if (!(hp.weightDecay >= 0) || !Number.isFinite(hp.weightDecay)) {
    fail(`weight decay must be a finite number ≥ 0, got ${hp.weightDecay}`);
  }
  if (!(hp.maxGradNorm >= 0)) fail(`maxGradNorm must be ≥ 0 (0 or Infinity: no clipping), got ${hp.maxGradNorm}`);
  if (!Number.isFinite(hp.loraPlusRatio) || hp.loraPlusRatio < 1) {
    fail(`the LoRA+ ratio must be a finite number ≥ 1 (1: plain LoRA), got ${hp.loraPlusRatio}`);
  }
}
