/**
 * An adapter of any PEFT method the project trains, in memory (LoRA or DoRA, IA³, prompt tuning), and which one it
 * is. No GPU here: the importers, the library and the Node tools (and the browser tests' fixtures) tell the kinds
 * apart without loading the engine.
 */
import type { Ia3Adapter } from './ia3-weights';
import type { LoraAdapter } from './lora-weights';
import type { PromptAdapter } from './prompt-weights';

export type AnyAdapter = LoraAdapter | Ia3Adapter | PromptAdapter;

export function isIa3Adapter(a: AnyAdapter): a is Ia3Adapter {
  return 'feedforward' in a.config;
}

export function isPromptAdapter(a: AnyAdapter): a is PromptAdapter {
  return 'virtualTokens' in a.config;
}

/**
 * Whether the adapter can share a batch with the base and other adapters (AdapterSlots): plain LoRA can. DoRA
 * rescales every output by its own adapted weight's row norms, IA³ rescales inside the product, and prompt tuning
 * lengthens the sequence; each of those runs in a pass of its own.
 */
export function batchable(a: AnyAdapter): a is LoraAdapter {
  return !isIa3Adapter(a) && !isPromptAdapter(a) && !a.config.useDora;
}

/** Why an adapter runs in its own pass, in the words the studio and the CLI show. */
export function ownPassReason(a: AnyAdapter): string {
  if (isPromptAdapter(a)) return 'prompt tuning changes the sequence';
  if (isIa3Adapter(a)) return 'IA³ rescales inside the base product';
  return 'DoRA needs its own adapted weights';
}
