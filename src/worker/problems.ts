/** Turns what the engine throws into the typed problems the studio shows, keeping each loader's own message. */
import { GpuError } from '../gpu/context';
import { PromptTooLongError } from '../generate/generate';
import { SamplingError } from '../generate/sampler';
import { ChatTemplateError } from '../model/chat';
import { ModelFormatError } from '../model/errors';
import { TokenizerError } from '../model/tokenizer';
import { BundledModelError } from './bundled-models';
import type { TaskProblem } from './protocol';

export function problemOf(error: unknown): TaskProblem {
  const message = error instanceof Error ? error.message : String(error);
  // A ModelFormatError's message starts with the file's name, which is what the user needs to see.
  if (error instanceof ModelFormatError) return { kind: 'model-format', message };
  if (error instanceof BundledModelError) return { kind: 'bundled-unavailable', message };
  if (error instanceof PromptTooLongError || error instanceof TokenizerError) return { kind: 'prompt', message };
  if (error instanceof SamplingError) return { kind: 'sampling', message };
  if (error instanceof ChatTemplateError) return { kind: 'chat-template', message };
  if (error instanceof GpuError || isDeviceError(error)) return { kind: 'gpu', message };
  // The allocator refuses buffers larger than the adapter allows with a RangeError that says so.
  if (error instanceof RangeError && message.startsWith('arena:')) return { kind: 'gpu', message };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${message}` : message };
}

/** Out-of-memory and validation failures from WebGPU itself (e.g. createBuffer past the device's budget). */
function isDeviceError(error: unknown): boolean {
  return typeof GPUError !== 'undefined' && error instanceof GPUError;
}
