/**
 * The one list of projections a LoRA adapter may adapt, and the one scale function. Every layer imports these
 * from here (src/model is the lowest layer): the engine's LoRA layers, the adapter formats, the CPU reference,
 * the training settings and the studio's form.
 */

/** In this order everywhere: adapter files list their targets, and dropout seeds index them, in it. */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/**
 * LoRA adapters one batched generation holds beside its base (AdapterSlots): Compare's columns and the CLI's
 * repeated --adapter stop there. Here, the lowest layer, so the studio's form reads it without the engine.
 */
export const MAX_ADAPTER_SLOTS = 8;

/** What a LoRA adapter is, apart from its weights. */
export interface LoraSettings {
  rank: number;
  alpha: number;
  /** rsLoRA: scale alpha/√r instead of alpha/r (stable for large ranks). */
  rsLora: boolean;
  targets: readonly LoraTarget[];
  /** DoRA (PEFT's use_dora): each adapted row's norm divided out and a learned magnitude per row applied. */
  dora?: boolean;
}

/** The adapter's output scale: alpha/r, or alpha/√r with rsLoRA. */
export function loraScale(s: Pick<LoraSettings, 'rank' | 'alpha' | 'rsLora'>): number {
  return s.rsLora ? s.alpha / Math.sqrt(s.rank) : s.alpha / s.rank;
}

/**
 * What an IA³ adapter is, apart from its vectors: the projections it scales, and which of them are PEFT's
 * "feed-forward modules", scaled on their input rather than their output.
 */
export interface Ia3Settings {
  targets: readonly LoraTarget[];
  feedforward: readonly LoraTarget[];
}

/** PEFT's default IA³ placement for Llama-family models: keys and values on their output, down on its input. */
export const IA3_DEFAULT: Ia3Settings = { targets: ['k', 'v', 'down'], feedforward: ['down'] };
