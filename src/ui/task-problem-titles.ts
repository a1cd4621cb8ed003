/**
 * The heading shown over an engine task's problem (the message under it is the engine's own), one per kind. A view
 * whose context words a kind differently (Compare says "base model") overrides just that kind.
 */
import type { TaskProblemKind } from '../worker/protocol';

export const TASK_PROBLEM_TITLES: Record<TaskProblemKind, string> = {
  'model-format': 'This model could not be read',
  'bundled-unavailable': 'The bundled model could not be fetched',
  'no-model': 'No model is loaded',
  prompt: 'The prompt cannot be used',
  sampling: 'A sampling setting is out of range',
  'chat-template': 'The chat template failed',
  gpu: 'The GPU refused the work',
  internal: 'The engine hit an unexpected error',
};
