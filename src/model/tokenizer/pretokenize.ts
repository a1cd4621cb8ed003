/**
 * Pre-tokenizers for byte-level BPE vocabularies read from GGUF, chosen by `tokenizer.ggml.pre`. Each is a
 * sequence of regex stages; a stage splits every piece into its matches and the (rarely non-empty) gaps between
 * them, like Hugging Face's `Split` with "Isolated" behaviour.
 *
 * Supported `pre` values (the split each model's tokenizer.json declares):
 *   'default', 'gpt2', 'gpt-2', absent          → the GPT-2 regex (llama.cpp's own 'default' also splits
 *                                                 punctuation runs first; we follow the tokenizer.json of GPT-2)
 *   'smollm', 'starcoder', 'refact'             → every digit alone (HF `Digits{individual_digits}`), then GPT-2
 *   'llama-bpe', 'llama3'                       → the Llama 3 regex (digits in runs of ≤ 3), and whole words that
 *                                                 are already tokens skip merging (`ignore_merges`)
 *   'qwen2', 'deepseek-r1-qwen'                 → the Llama 3 regex with single digits
 * Anything else falls back to GPT-2 and says so in a warning rather than failing, so a model still loads.
 *
 * `\s` is spelled \p{White_Space}: that is what the Oniguruma patterns in tokenizer.json mean (JavaScript's `\s`
 * also matches U+FEFF and misses U+0085).
 */

export interface PreTokenizer {
  /** The `pre` name this was chosen for, normalised ('gpt2', 'smollm', 'llama3', 'qwen2'). */
  readonly kind: 'gpt2' | 'smollm' | 'llama3' | 'qwen2';
  /** A whole pre-token that is already in the vocabulary is emitted as is (Llama 3's `ignore_merges`). */
  readonly ignoreMerges: boolean;
  split(text: string): string[];
}

export interface PreTokenizerChoice {
  preTokenizer: PreTokenizer;
  warning: string | null;
}

const S = '\\p{White_Space}';
const NS = '\\P{White_Space}';
const CONTRACTIONS = "'s|'t|'re|'ve|'m|'ll|'d";
// Llama 3 matches contractions case-insensitively; spelled out because (?i:) needs a newer JavaScript engine.
const CONTRACTIONS_ANY_CASE = "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]";

const GPT2 = `${CONTRACTIONS}| ?\\p{L}+| ?\\p{N}+| ?[^${S}\\p{L}\\p{N}]+|${S}+(?!${NS})|${S}+`;
const LLAMA3_DIGITS = '\\p{N}{1,3}';
const llama3Like = (digits: string) =>
  `${CONTRACTIONS_ANY_CASE}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|${digits}| ?[^${S}\\p{L}\\p{N}]+[\\r\\n]*` +
  `|${S}*[\\r\\n]+|${S}+(?!${NS})|${S}+`;

const STAGES: Record<PreTokenizer['kind'], string[]> = {
  gpt2: [GPT2],
  smollm: ['\\p{N}', GPT2],
  llama3: [llama3Like(LLAMA3_DIGITS)],
  qwen2: [llama3Like('\\p{N}')],
};

const ALIASES: Record<string, PreTokenizer['kind']> = {
  default: 'gpt2',
  gpt2: 'gpt2',
  'gpt-2': 'gpt2',
  smollm: 'smollm',
  starcoder: 'smollm',
  refact: 'smollm',
  'llama-bpe': 'llama3',
  llama3: 'llama3',
  qwen2: 'qwen2',
  'deepseek-r1-qwen': 'qwen2',
};

export const SUPPORTED_PRE_TOKENIZERS: readonly string[] = Object.keys(ALIASES);

export function choosePreTokenizer(pre: string | undefined): PreTokenizerChoice {
  const kind = pre === undefined || pre === '' ? 'gpt2' : ALIASES[pre];
  if (kind === undefined) {
    return {
      preTokenizer: makePreTokenizer('gpt2'),
      warning:
        `pre-tokenizer '${pre}' is not supported; using the GPT-2 split instead, so some texts may tokenize ` +
        `differently from the original model (supported: ${SUPPORTED_PRE_TOKENIZERS.join(', ')})`,
    };
  }
  return { preTokenizer: makePreTokenizer(kind), warning: null };
}

export function makePreTokenizer(kind: PreTokenizer['kind']): PreTokenizer {
  const stages = STAGES[kind].map((source) => new RegExp(source, 'gu'));
  return {
    kind,
    ignoreMerges: kind === 'llama3',
    split(text: string): string[] {
      let pieces = text ? [text] : [];
      for (const stage of stages) {
        const next: string[] = [];
        for (const piece of pieces) splitIsolated(piece, stage, next);
        pieces = next;
      }
      return pieces;
    },
  };
}

function splitIsolated(text: string, pattern: RegExp, out: string[]): void {
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m[0].length === 0) continue;
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
}
