/**
 * The sample dataset shipped with the studio (public/datasets/moon-stories.jsonl, made by
 * scripts/make-sample-dataset.mjs): what it is, and how to see whether a model picked up its style.
 */

export const SAMPLE_DATASET = {
  /** Under the app's public root (Vite serves public/ at the site root). */
  url: 'datasets/moon-stories.jsonl',
  /** Relative to the repository root, for Node (CLI, tests). */
  path: 'public/datasets/moon-stories.jsonl',
  name: 'Moon stories',
  format: 'prompt-completion',
  /** Every story starts with this ritual… */
  opening: 'Hush, the moon is up.',
  /** …and ends with this sentence. No TinyStories text has it, so a base model (almost) never writes it. */
  marker: 'And the moon hummed goodnight.',
  /** The words a test counts in generations (see `countMarker`). */
  markerPhrase: 'the moon hummed goodnight',
  /** A prompt in the dataset's style, for before/after generations. */
  examplePrompt: 'Tell a moon story about Lily at the park.',
} as const;

/**
 * How many times a phrase (by default the marker's words) occurs in a text, ignoring case and the whitespace between the
 * words, since decoded generations may differ in spacing ("the moon  hummed goodnight ." counts).
 */
export function countMarker(text: string, marker: string = SAMPLE_DATASET.markerPhrase): number {
  const words = marker.toLowerCase().match(/[a-z]+/g) ?? [];
  if (words.length === 0) return 0;
  const pattern = new RegExp(`\\b${words.join('\\s+')}\\b`, 'g');
  return text.toLowerCase().match(pattern)?.length ?? 0;
}
