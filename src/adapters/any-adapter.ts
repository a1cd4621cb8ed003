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
