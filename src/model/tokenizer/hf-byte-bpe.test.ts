import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random';
import { byteBpeEncoderFor } from './hf-byte-bpe';
import { fromTokenizerJson } from './hf-tokenizer';
import { readText, SMOLLM2, STORIES_HF } from './testing/fixtures';
import { HARD_CASES, randomTexts } from './testing/texts';

type Json = Record<string, unknown>;
const smolText = readText(`${SMOLLM2}tokenizer.json`);
const smol = () => JSON.parse(smolText) as Json;

/** Prose from the sample dataset, cut into pieces of varied length, with digits, runs of space and specials. */
function corpus(): string[] {
  const lines = readText(new URL('../../../public/datasets/moon-stories.jsonl', import.meta.url).pathname)
    .split('\n')
    .filter((l) => l.trim());
  const texts = lines.map((l) => Object.values(JSON.parse(l) as Record<string, string>).join('\n\n'));
  const rng = new Random(11);
  const specials = ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<repo_name>'];
  for (let i = 0; i < 200; i++) {
    const t = texts[rng.int(texts.length)];
    const at = rng.int(t.length);
    const mid = `${rng.int(100000)}${rng.next() < 0.5 ? '   ' : '\n\t'}${specials[rng.int(specials.length)]}`;
    texts.push(`${specials[rng.int(specials.length)]}user\n${t.slice(0, at)}${mid}${t.slice(at)}<|im_end|>\n`);
  }
  // Bytes SmolLM2's vocabulary lacks (0x04, 0x13, the lead byte of U+40000): both paths must drop them alike.
  const missing = ['a\u0004b\u0006 c\u0013\u0014', 'x \u{40000}\u{7ffff} y', '\u001d'];
  return [...texts, ...HARD_CASES, ...missing, ...randomTexts(400, 77)];
}
const TEXTS = corpus();

/**
 * Where @huggingface/tokenizers departs from Hugging Face's Rust tokenizers (the reference that trained the
 * models): its regexes use JavaScript's `\s` (U+FEFF in, U+0085 out) and `\d` (ASCII only) where Rust's mean
 * Unicode White_Space and `char::is_numeric`. The fast path follows Rust (as pretokenize.ts does for GGUF), so
 * texts with those characters are compared separately below.
 */
const DEPARTS = /[\u0085\ufeff]|(?![0-9])\p{N}/u;
const COMPARABLE = TEXTS.filter((t) => !DEPARTS.test(t));

/** The fast path's ids against @huggingface/tokenizers' for the same file, text by text. */
function expectSameIds(json: Json, texts: readonly string[] = COMPARABLE): void {
  expect(byteBpeEncoderFor(json, 'tokenizer.json').reason).toBeUndefined();
  const fast = fromTokenizerJson({ tokenizer: json });
  const library = fromTokenizerJson({ tokenizer: json, encoder: 'library' });
  for (const text of texts) {
    expect(fast.encode(text, { addBos: false }), JSON.stringify(text.slice(0, 80))).toEqual(library.encode(text, { addBos: false }));
  }
}

const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const split = (regex: string) => ({
  type: 'Sequence',
  pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }, byteLevel(false)],
});

describe('tokenizer.json byte-level BPE through the project BPE', () => {
  it(`gives the library's ids for SmolLM2's file on ${COMPARABLE.length} texts (prose, digits, specials, CJK, emoji)`, () => {
    expect(TEXTS.length - COMPARABLE.length).toBeLessThan(TEXTS.length / 10);
    expectSameIds(smol());
  });

  it("splits as Rust's tokenizers do where the library does not (U+0085 and U+FEFF, non-ASCII numerals)", () => {
    const fast = fromTokenizerJson({ tokenizer: smol() });
    const pieces = (text: string) => fast.encode(text, { addBos: false }).map((id) => fast.tokenText(id));
    // Digits (is_numeric): "½" and "٣" are digits, split off alone; the library's \d leaves " ½" together.
    expect(pieces(' ½')).toEqual(['Ġ', 'Â½']);
    expect(pieces('a ٣')).toEqual(['a', 'Ġ', 'Ù', '£']);
    // White_Space: "\n\n" before U+0085 is whitespace followed by whitespace, so it stays one piece; U+FEFF is not
    // whitespace, so three spaces before it split as two plus the one that leads the next piece.
    expect(pieces('>\n\n\u0085')).toEqual(['>', 'ĊĊ', 'Â', 'ħ']);
    expect(pieces('x   \ufeff')).toEqual(['x', 'ĠĠ', 'Ġ', 'ï', '»', '¿']);
  });

  it("gives the library's ids for SmolLM2's vocabulary under GPT-2's, Llama 3's and Qwen2's pre-tokenizers", () => {
    const texts = COMPARABLE.filter((_, i) => i % 3 === 0);
    expectSameIds({ ...smol(), pre_tokenizer: byteLevel(true) }, texts);
    const llama3 = smol();
    llama3.pre_tokenizer = split(LLAMA3_SPLIT);
    expectSameIds(llama3, texts);
    (llama3.model as Json).ignore_merges = true;
    expectSameIds(llama3, texts);
    const qwen2 = smol();
    qwen2.pre_tokenizer = split(LLAMA3_SPLIT.replace('\\p{N}{1,3}', '\\p{N}'));
    qwen2.normalizer = { type: 'NFC' };
    expectSameIds(qwen2, [...texts, 'e\u0301 and A\u030a decompose', '\u212b\u2126']);
  });

  it('leaves every other shape to the library, saying why', () => {
    const reason = (change: (j: Json) => void) => {
      const j = smol();
      change(j);
      return byteBpeEncoderFor(j, 'tokenizer.json').reason;
    };
    expect(byteBpeEncoderFor(JSON.parse(readText(`${STORIES_HF}tokenizer.json`)) as Json, 't').reason).toBe('byte fallback');
    expect(reason((j) => ((j.model as Json).dropout = 0.1))).toBe('BPE dropout');
    expect(reason((j) => (j.normalizer = { type: 'Lowercase' }))).toBe('normalizer');
    expect(reason((j) => (j.pre_tokenizer = { ...byteLevel(true), add_prefix_space: true }))).toBe('pre-tokenizer');
    expect(reason((j) => (j.pre_tokenizer = split('\\w+')))).toBe('pre-tokenizer');
    expect(reason((j) => ((j.added_tokens as Json[])[3].lstrip = true))).toMatch(/strips or matches whole words/);
    expect(reason((j) => ((j.model as Json).unk_token = '<|endoftext|>'))).toMatch(/a byte missing from the vocabulary/);
    // Refused files still encode, through the library.
    const j = smol();
    (j.added_tokens as Json[])[2].rstrip = true;
    const t = fromTokenizerJson({ tokenizer: j });
    expect(t.encode('a<|im_end|>  b', { addBos: false })).toEqual(fromTokenizerJson({ tokenizer: j, encoder: 'library' }).encode('a<|im_end|>  b', { addBos: false }));
  });
});
