import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors';
import { BYTE_TO_UNICODE } from './byte-bpe';
import { createGgufTokenizer } from './gguf-tokenizer';
import { type GgufTokenizerSource, TokenType } from './gguf-vocab';
import { fromTokenizerJson } from './hf-tokenizer';
import { choosePreTokenizer, makePreTokenizer } from './pretokenize';
import { readText, SMOLLM2 } from './testing/fixtures';
import { expectStreamMatchesDecode } from './testing/stream-check';
import { HARD_CASES, randomTexts } from './testing/texts';

interface TokenizerJson {
  model: { vocab: Record<string, number>; merges: string[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

/** SmolLM2's tokenizer.json rewritten as the GGUF metadata llama.cpp's converter would write for it. */
function smolAsGguf(json: TokenizerJson, pre: string): GgufTokenizerSource {
  const tokens: string[] = [];
  const tokenTypes: number[] = [];
  for (const [text, id] of Object.entries(json.model.vocab)) {
    tokens[id] = text;
    tokenTypes[id] = TokenType.Normal;
  }
  for (const t of json.added_tokens) {
    tokens[t.id] = t.content;
    tokenTypes[t.id] = t.special ? TokenType.Control : TokenType.UserDefined;
  }
  const merges = json.model.merges;
  return { model: 'gpt2', tokens, tokenTypes, merges, bosId: 1, eosId: 2, padId: 2, preTokenizer: pre };
}

const json = JSON.parse(readText(`${SMOLLM2}tokenizer.json`)) as TokenizerJson;
const hf = fromTokenizerJson({ tokenizer: json });
const gguf = createGgufTokenizer(smolAsGguf(json, 'smollm'), 'smollm2.gguf');
const texts = [...HARD_CASES, ...randomTexts(400, 2)];
/**
 * Where tokenizers.js departs from the Rust library the model was trained with, we follow Rust (and llama.cpp):
 * its Digits splits only 0-9 (Rust: any \p{N}), and its ByteLevel regex uses JavaScript's \s (Rust's Oniguruma
 * \s is White_Space: U+0085 yes, U+FEFF no). Such texts are checked for round trip only.
 */
const TOKENIZERS_JS_DIFFERS = /(?![0-9])\p{N}|[\u0085\ufeff]/u;

describe('byte-level BPE from GGUF metadata (SmolLM2 vocabulary, pre = smollm)', () => {
  it(`gives the same ids as @huggingface/tokenizers on ${texts.length} strings, and round-trips`, () => {
    let compared = 0;
    for (const text of texts) {
      const ids = gguf.encode(text);
      expect(gguf.decode(ids)).toBe(text);
      if (TOKENIZERS_JS_DIFFERS.test(text)) continue;
      expect(ids, JSON.stringify(text)).toEqual(hf.encode(text));
      compared++;
    }
    expect(compared).toBeGreaterThan(300);
  });

  it('splits non-ASCII digits and Unicode whitespace as the Rust library does', () => {
    expect(makePreTokenizer('smollm').split('x ١٢½')).toEqual(['x', ' ', '١', '٢', '½']);
    expect(makePreTokenizer('gpt2').split('a\r\n\u0085b')).toEqual(['a', '\r\n', '\u0085', 'b']);
    expect(makePreTokenizer('gpt2').split('a\ufeff b')).toEqual(['a', '\ufeff', ' b']);
    expect(makePreTokenizer('gpt2').split('a\ufeff\ufeffb')).toEqual(['a', '\ufeff\ufeff', 'b']);
    expect(makePreTokenizer('gpt2').split('a\u0085\u0085b')).toEqual(['a', '\u0085', '\u0085', 'b']);
    expect(gguf.decode(gguf.encode('x ١٢½\u0085\ufeff'))).toBe('x ١٢½\u0085\ufeff');
  });

  it('agrees on special tokens inside text and on decoding with them skipped', () => {
    const text = '<|im_start|>user\nHi 😀<|im_end|>\n<|im_start|>assistant\n';
    expect(gguf.encode(text)).toEqual(hf.encode(text));
    expect(gguf.encode(text).filter((id) => id <= 2)).toEqual([1, 2, 1]);
    expect(gguf.decode(gguf.encode(text), { skipSpecial: true })).toBe('user\nHi 😀\nassistant\n');
    expect(gguf.eosIds).toEqual([2, 0]);
    expect(gguf.addBosByDefault).toBe(false);
  });

  it('streams the same text as decode() for every prefix', () => {
    for (const text of HARD_CASES) expectStreamMatchesDecode(gguf, gguf.encode(text));
  });

  it('maps all 256 bytes to distinct printable characters (space → Ġ, newline → Ċ)', () => {
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    expect(BYTE_TO_UNICODE[0x20]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[0x0a]).toBe('Ċ');
    expect(BYTE_TO_UNICODE[0x41]).toBe('A');
  });
});

describe('pre-tokenizers', () => {
  const split = (kind: Parameters<typeof makePreTokenizer>[0], text: string) => makePreTokenizer(kind).split(text);

  it('GPT-2: contractions, leading-space words, digit runs, whitespace before a word', () => {
    expect(split('gpt2', "I'm  here 12345!!")).toEqual(['I', "'m", ' ', ' here', ' 12345', '!!']);
  });

  it('SmolLM: every digit alone, whitespace runs kept whole before digits', () => {
    expect(split('smollm', 'a  123')).toEqual(['a', '  ', '1', '2', '3']);
  });

  it('Llama 3: digits in threes, case-insensitive contractions, newlines apart', () => {
    expect(split('llama3', "Hello world 12345 DON'T\n\n  x")).toEqual([
      'Hello', ' world', ' ', '123', '45', ' DON', "'T", '\n\n', ' ', ' x',
    ]);
  });

  it('Qwen2: single digits', () => {
    expect(split('qwen2', 'v2024')).toEqual(['v', '2', '0', '2', '4']);
  });

  it('falls back to GPT-2 with a warning for an unknown pre value', () => {
    expect(choosePreTokenizer('llama-bpe')).toMatchObject({ warning: null, preTokenizer: { kind: 'llama3' } });
    const { preTokenizer, warning } = choosePreTokenizer('mystery-pre');
    expect(preTokenizer.kind).toBe('gpt2');
    expect(warning).toMatch(/'mystery-pre' is not supported/);
    const tok = createGgufTokenizer(smolAsGguf(json, 'mystery-pre'));
    expect(tok.warnings).toHaveLength(1);
    expect(tok.decode(tok.encode('still works 42'))).toBe('still works 42');
  });

  it('refuses a gpt2 vocabulary without merges, naming the file', () => {
    const source = { ...smolAsGguf(json, 'smollm'), merges: undefined };
    expect(() => createGgufTokenizer(source, 'm.gguf')).toThrow(ModelFormatError);
    expect(() => createGgufTokenizer(source, 'm.gguf')).toThrow(/^m\.gguf: .*tokenizer\.ggml\.merges/);
  });
});
