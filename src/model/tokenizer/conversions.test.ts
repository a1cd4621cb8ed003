/**
 * The tokenizer conversions the exports use, both ways, for both shapes: tokenizer.json → GGUF vocabulary
 * (to-gguf.ts) and GGUF vocabulary → tokenizer.json (to-tokenizer-json.ts). Each converted tokenizer, built by the
 * project's own readers, must split text exactly as the original: SmolLM2's byte-level BPE, and stories260K's
 * SentencePiece vocabulary (GGUF) and its BPE-with-byte-fallback tokenizer.json (the same ids). llama.cpp's own
 * reading of a converted vocabulary is checked in src/export/llama-cpp.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createGgufTokenizer } from './gguf-tokenizer';
import { fromTokenizerJson } from './hf-tokenizer';
import { ggufTokenizerSource, readText, SMOLLM2, STORIES_GGUF, STORIES_HF } from './testing/fixtures';
import { HARD_CASES, randomTexts } from './testing/texts';
import { ggufSourceFromTokenizerJson } from './to-gguf';
import { tokenizerJsonFiles } from './to-tokenizer-json';
import type { Tokenizer } from './types';

const moon = readText(new URL('../../../public/datasets/moon-stories.jsonl', import.meta.url).pathname)
  .split('\n')
  .filter((l) => l.trim())
  .slice(0, 60)
  .flatMap((l) => Object.values(JSON.parse(l) as Record<string, string>));
/** Texts where @huggingface/tokenizers departs from the Rust tokenizers (see hf-byte-bpe.test.ts), left out. */
const DEPARTS = /[\u0085\ufeff]|(?![0-9])\p{N}/u;
const TEXTS = [...moon, ...HARD_CASES, ...randomTexts(150, 5), '<|im_start|>user\nHi 123<|im_end|>\n'].filter((t) => !DEPARTS.test(t));

function expectSameSplits(got: Tokenizer, want: Tokenizer): void {
  for (const text of TEXTS) expect(got.encode(text, { addBos: false }), JSON.stringify(text.slice(0, 60))).toEqual(want.encode(text, { addBos: false }));
  expect([got.bosId, got.eosId, got.addBosByDefault]).toEqual([want.bosId, want.eosId, want.addBosByDefault]);
}

describe('tokenizer conversions for exports', () => {
  it('SmolLM2 (byte-level BPE): tokenizer.json → GGUF vocabulary → tokenizer.json, each splitting text as the original', () => {
    const json = JSON.parse(readText(`${SMOLLM2}tokenizer.json`)) as Record<string, unknown>;
    const original = fromTokenizerJson({ tokenizer: json });
    const source = ggufSourceFromTokenizerJson(json, original, 'tokenizer.json');
    expect(source).toMatchObject({ model: 'gpt2', preTokenizer: 'smollm' });
    const asGguf = createGgufTokenizer(source, 'converted.gguf');
    expectSameSplits(asGguf, original);
    const back = tokenizerJsonFiles({ kind: 'gguf', source, file: 'converted.gguf' }, asGguf, null);
    expectSameSplits(fromTokenizerJson({ tokenizer: back.tokenizerJson, config: back.tokenizerConfig }), original);
  });

  it('stories260K (SentencePiece): the GGUF vocabulary as tokenizer.json, and the HF tokenizer.json as a GGUF vocabulary', () => {
    const gguf = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF), 'stories260K.gguf');
    const spec = { kind: 'gguf' as const, source: ggufTokenizerSource(STORIES_GGUF), file: 'stories260K.gguf' };
    const asJson = tokenizerJsonFiles(spec, gguf, null);
    expectSameSplits(fromTokenizerJson({ tokenizer: asJson.tokenizerJson, config: asJson.tokenizerConfig }), gguf);

    const hfJson = JSON.parse(readText(`${STORIES_HF}tokenizer.json`)) as Record<string, unknown>;
    const hf = fromTokenizerJson({ tokenizer: hfJson, config: readText(`${STORIES_HF}tokenizer_config.json`) });
    const source = ggufSourceFromTokenizerJson(hfJson, hf, 'tokenizer.json');
    expect(source).toMatchObject({ model: 'llama', addSpacePrefix: true, bosId: 1, eosId: 2, unkId: 0 });
    expectSameSplits(createGgufTokenizer(source, 'converted.gguf'), hf);
  });

  it('refuses a tokenizer.json it cannot write as a GGUF vocabulary, naming the file', () => {
    const json = { model: { type: 'WordPiece', vocab: {} } };
    const facts = fromTokenizerJson({ tokenizer: readText(`${STORIES_HF}tokenizer.json`) });
    expect(() => ggufSourceFromTokenizerJson(json, facts, 'bert/tokenizer.json')).toThrow(/bert\/tokenizer\.json.*WordPiece tokenizer; a GGUF export converts BPE tokenizers/);
  });
});
