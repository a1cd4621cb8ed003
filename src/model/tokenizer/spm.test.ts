import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors';
import { createGgufTokenizer } from './gguf-tokenizer';
import { fromTokenizerJson } from './hf-tokenizer';
import { ggufTokenizerSource, readText, STORIES_GGUF, STORIES_HF } from './testing/fixtures';
import { expectStreamMatchesDecode } from './testing/stream-check';
import { HARD_CASES, randomTexts } from './testing/texts';
import { TokenizerError } from './types';

const source = ggufTokenizerSource(STORIES_GGUF);
const gguf = createGgufTokenizer(source, 'stories260K.gguf');
const hf = fromTokenizerJson({
  tokenizer: readText(`${STORIES_HF}tokenizer.json`),
  config: readText(`${STORIES_HF}tokenizer_config.json`),
});
const texts = [...HARD_CASES, ...randomTexts(300, 260)];

describe('stories260K GGUF (SentencePiece-style) tokenizer', () => {
  it('encodes the reference prompt with BOS, by default and on request', () => {
    expect(gguf.encode('Once upon a time', { addBos: true })).toEqual([1, 403, 407, 261, 378]);
    expect(gguf.encode('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
    expect(gguf.encode('Once upon a time', { addBos: false })).toEqual([403, 407, 261, 378]);
    expect(gguf.decode([1, 403, 407, 261, 378], { skipSpecial: true })).toBe('Once upon a time');
  });

  it('reports its vocabulary facts', () => {
    expect(gguf.vocabSize).toBe(512);
    expect([gguf.bosId, gguf.eosId, gguf.unkId, gguf.padId]).toEqual([1, 2, 0, null]);
    expect(gguf.specialIds).toEqual([0, 1, 2]);
    expect(gguf.eosIds).toEqual([2]);
    expect(gguf.tokenId('</s>')).toBe(2);
    expect(gguf.isSpecial(1) && !gguf.isSpecial(403)).toBe(true);
    expect(gguf.warnings).toEqual([]);
  });

  it(`agrees with tokenizer.json on ${texts.length} varied strings (encode, decode, with and without specials)`, () => {
    for (const text of texts) {
      const ids = gguf.encode(text, { addBos: false });
      expect(ids, JSON.stringify(text)).toEqual(hf.encode(text, { addBos: false }));
      // @huggingface/tokenizers' ByteFallback decoder drops U+FEFF (each run of byte tokens goes through a
      // TextDecoder that takes it for a byte-order mark); we keep it, as the Rust library does, so only the
      // encodings are compared for such text (our round trip is checked below).
      if (text.includes('\ufeff')) continue;
      expect(gguf.decode(ids)).toBe(hf.decode(ids));
      const withBos = gguf.encode(text);
      expect(withBos).toEqual(hf.encode(text));
      expect(gguf.decode(withBos)).toBe(hf.decode(withBos));
      expect(gguf.decode(withBos, { skipSpecial: true })).toBe(hf.decode(withBos, { skipSpecial: true }));
    }
  });

  it('agrees with tokenizer.json on special-token strings inside text', () => {
    for (const text of ['<s>hi</s>  x', 'a</s><s>b', '<unk> and <s>', 'x<s', '</s>\n\n### User:']) {
      expect(gguf.encode(text), JSON.stringify(text)).toEqual(hf.encode(text));
      expect(gguf.decode(gguf.encode(text))).toBe(hf.decode(hf.encode(text)));
    }
  });

  it('spells characters outside its 512 tokens as byte tokens and round-trips them', () => {
    // "▁" then the UTF-8 bytes of ü (C3 BC) and 漢 (E6 BC A2) as <0xNN> tokens.
    const ids = gguf.encode('ü漢', { addBos: false });
    expect(ids.map((id) => gguf.tokenText(id))).toEqual(['▁', '<0xC3>', '<0xBC>', '<0xE6>', '<0xBC>', '<0xA2>']);
    for (const text of ['ü', '漢', 'Grüße aus 漢字 👨‍👩‍👧 land', 'tab\tnew\nline']) {
      expect(gguf.decode(gguf.encode(text))).toBe(hf.decode(hf.encode(text)));
      expect(gguf.decode(gguf.encode(text), { skipSpecial: true })).toBe(text);
    }
  });

  it('round-trips every test string that has no special-token text', () => {
    for (const text of texts) expect(gguf.decode(gguf.encode(text, { addBos: false }))).toBe(text);
  });

  it('streams the same text as decode() for every prefix, byte tokens included', () => {
    for (const text of [...HARD_CASES, ...randomTexts(40, 7)]) {
      expectStreamMatchesDecode(gguf, gguf.encode(text));
      expectStreamMatchesDecode(gguf, gguf.encode(text), { skipSpecial: true });
    }
  });

  it('refuses a vocabulary it cannot use, naming the file and key', () => {
    const noScores = { ...source, scores: undefined };
    expect(() => createGgufTokenizer(noScores, 'x.gguf')).toThrow(ModelFormatError);
    expect(() => createGgufTokenizer(noScores, 'x.gguf')).toThrow(/^x\.gguf: .*tokenizer\.ggml\.scores/);
    expect(() => createGgufTokenizer({ ...source, tokens: [] }, 'y.gguf')).toThrow(/^y\.gguf: .*empty/);
    expect(() => createGgufTokenizer({ ...source, model: 'bert' as 'llama' }, 'z.gguf')).toThrow(/'bert'/);
    expect(() => gguf.decode([5, 512])).toThrow(TokenizerError);
  });
});
