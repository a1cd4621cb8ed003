/** Turns whatever a training run threw into a TrainFailure the Train view can show, with what a resume would get. */
import { DatasetError, DataPositionError } from '../data';
import { ModelFormatError } from '../model/errors';
import { CheckpointError } from '../train/checkpoint';
import { TrainingConfigError } from '../train/config';
import { DeviceLostError } from '../train/device-loss';
import { NonFiniteError, TrainingInterruptedError } from '../train/loop';
import { MemoryLimitError } from '../train/session';
import { BundledModelError } from './bundled-models';
import type { TrainFailure } from './train-protocol';

/** A problem found before training (the data, the base) that names its own kind and message. */
export class TrainSetupError extends Error {
  override name = 'TrainSetupError';
  constructor(
    readonly kind: 'data' | 'model' | 'checkpoint',
    message: string,
  ) {
    super(message);
  }
}

/** A resumed run must continue on the base it was trained on; name both when the file given is another. */
export function checkSameBase(trainedOn: string, given: string): void {
  if (trainedOn !== given) {
    throw new TrainSetupError(
      'model',
      `This run was trained on ${trainedOn}, but the base given is ${given}. Give the same base model to resume it.`,
    );
  }
}

export function trainFailureOf(error: unknown, lastCheckpoint: number | null): TrainFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TrainSetupError) return { kind: error.kind, message, checkpointStep: lastCheckpoint };
  if (error instanceof TrainingConfigError) {
    return { kind: 'config', message, setting: error.setting, issue: error.issue, checkpointStep: lastCheckpoint };
  }
  if (error instanceof MemoryLimitError) return { kind: 'memory', message, checkpointStep: lastCheckpoint };
  if (error instanceof NonFiniteError) {
    // The loop's message names CLI flags; say it in the form's words.
    const what = Number.isFinite(error.loss) ? `gradient norm became ${error.gradNorm}` : `loss became ${error.loss}`;
    const kept =
      error.checkpointStep === null ? 'No checkpoint had been written yet.' : `The last good checkpoint (step ${error.checkpointStep}) is kept.`;
    return {
      kind: 'non-finite',
      message: `At step ${error.step} the ${what}, so training stopped. ${kept} Try a lower learning rate, a max grad norm of 1, or warmup steps.`,
      checkpointStep: error.checkpointStep,
    };
  }
  if (error instanceof TrainingInterruptedError) {
    const lost = error.cause instanceof DeviceLostError;
    // The loop's message speaks of a CLI --resume; the studio has its own Resume button.
    const kept =
      error.checkpointStep === null
        ? 'No checkpoint had been written yet, so the run starts over when resumed.'
        : `The last checkpoint (step ${error.checkpointStep}) is kept.`;
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    return {
      kind: lost ? 'device-lost' : 'interrupted',
      message: `Training stopped during step ${error.step}: ${cause}. ${kept}`,
      checkpointStep: error.checkpointStep,
    };
  }
  if (error instanceof DatasetError) return { kind: 'data', message, checkpointStep: lastCheckpoint };
  if (error instanceof ModelFormatError || error instanceof BundledModelError) return { kind: 'model', message, checkpointStep: lastCheckpoint };
  if (error instanceof CheckpointError) return { kind: 'checkpoint', message, checkpointStep: null };
  // The checkpoint's place in the stream does not fit the file or its settings any more: it cannot be resumed.
  if (error instanceof DataPositionError) return { kind: 'checkpoint', message, checkpointStep: null };
  if (error instanceof DeviceLostError) return { kind: 'device-lost', message, checkpointStep: lastCheckpoint };
  return {
    kind: 'internal',
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    checkpointStep: lastCheckpoint,
  };
}
