/**
 * An adapter imported without its base loaded may not record every fact of that base (another tool's PEFT files
 * carry no architecture or head counts), yet a GGUF export needs them. They can be taken from the loaded base,
 * but only when that base agrees with every fact the adapter does record.
 */
import { BASE_FACTS, baseDisagreements } from '../adapters/fit';
import type { LoraBaseShape } from '../adapters/lora-weights';

/**
 * `recorded` completed from `loaded` (facts it lacks are filled in), or the disagreements that make the loaded
 * base the wrong one to take them from.
 */
export function completeBaseFacts(
  recorded: LoraBaseShape,
  loaded: LoraBaseShape | null,
): { ok: true; base: LoraBaseShape } | { ok: false; disagreements: string[] } {
  if (!loaded) return { ok: true, base: recorded };
  const disagreements = baseDisagreements(recorded, loaded);
  if (disagreements.length) return { ok: false, disagreements };
  const base = { ...recorded };
  for (const [key] of BASE_FACTS) if (base[key] === null) (base as Record<string, unknown>)[key] = loaded[key];
  return { ok: true, base };
}
