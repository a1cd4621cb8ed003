import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors';
import { fromTokenizerJson } from './hf-tokenizer';
import { readText, SMOLLM2, STORIES_HF } from './testing/fixtures';
import { expectStreamMatchesDecode } from './testing/stream-check';
import { HARD_CASES, randomTexts } from './testing/texts';
import { TokenizerError } from './types';

const smolJson = readText(`${SMOLLM2}tokenizer.json`);
const smol = fromTokenizerJson({ tokenizer: smolJson });
const texts = [...HARD_CASES, ...randomTexts(300, 135)];

describe('SmolLM2 tokenizer.json through @huggingface/tokenizers', () => {
  it('reports its vocabulary facts (no tokenizer_config.json: no BOS, no default EOS)', () => {
    expect(smol.vocabSize).toBe(49152);
    expect(smol.specialIds).toEqual([...Array(17).keys()]);
    expect(smol.tokenId('<|im_end|>')).toBe(2);
    expect(smol.tokenId('<|im_start|>')).toBe(1);
    expect(smol.tokenText(2)).toBe('<|im_end|>');
    expect(smol.isSpecial(2) && !smol.isSpecial(19556)).toBe(true);
    expect([smol.bosId, smol.eosId, smol.addBosByDefault, smol.addEosByDefault]).toEqual([null, null, false, false]);
    expect(smol.eosIds).toEqual([2, 0]);
  });

  it(`round-trips ${texts.length} strings: CJK, emoji ZWJ sequences, code, whitespace runs, accents`, () => {
    for (const text of texts) {
      const ids = smol.encode(text);
      expect(smol.decode(ids), JSON.stringify(text)).toBe(text);
    }
    expect(smol.encode('Hello world')).toEqual([19556, 905]);
  });

  it('encodes every special token to its single id, alone and inside text', () => {
    const json = JSON.parse(smolJson) as { added_tokens: { id: number; content: string }[] };
    for (const { id, content } of json.added_tokens) {
      expect(smol.encode(content)).toEqual([id]);
      const inText = smol.encode(`x${content}\ny`);
      expect(inText.filter((t) => t === id)).toHaveLength(1);
      expect(smol.decode(inText)).toBe(`x${content}\ny`);
      expect(smol.decode(inText, { skipSpecial: true })).toBe('x\ny');
    }
  });

  it('streams the same text as decode() for every prefix', () => {
    for (const text of [...HARD_CASES, ...randomTexts(60, 9)]) {
      expectStreamMatchesDecode(smol, smol.encode(text));
    }
    const chat = smol.encode('<|im_start|>assistant\n漢字 👨‍👩‍👧‍👦 ok<|im_end|>');
    expectStreamMatchesDecode(smol, chat, { skipSpecial: true });
  });

  it('holds back a character split across tokens until it is complete', () => {
    const ids = smol.encode('👨‍👩‍👧');
    expect(ids.length).toBeGreaterThan(3);
    const stream = smol.createStreamDecoder();
    const pieces = ids.map((id) => stream.push(id));
    expect(pieces.join('') + stream.flush()).toBe('👨‍👩‍👧');
    expect(pieces.every((p) => !p.includes('\uFFFD'))).toBe(true);
  });

  it('refuses ids outside the vocabulary', () => {
    expect(() => smol.decode([49152])).toThrow(TokenizerError);
    expect(() => smol.decode([-1])).toThrow(/outside the vocabulary/);
    expect(smol.decode([])).toBe('');
  });
});

describe('stories260K tokenizer.json + tokenizer_config.json', () => {
  const stories = fromTokenizerJson({
    tokenizer: readText(`${STORIES_HF}tokenizer.json`),
    config: readText(`${STORIES_HF}tokenizer_config.json`),
  });

  it('adds BOS by default, as its post-processor does', () => {
    expect([stories.bosId, stories.eosId, stories.unkId, stories.padId]).toEqual([1, 2, 0, null]);
    expect(stories.addBosByDefault).toBe(true);
    expect(stories.encode('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
    expect(stories.encode('Once upon a time', { addBos: false, addEos: true })).toEqual([403, 407, 261, 378, 2]);
    expect(stories.decode([1, 403, 407, 261, 378], { skipSpecial: true })).toBe('Once upon a time');
  });
});

describe('bad tokenizer files', () => {
  it('names the file when tokenizer.json is not JSON', () => {
    const load = () => fromTokenizerJson({ tokenizer: '{"model": ', tokenizerFile: 'my/tokenizer.json' });
    expect(load).toThrow(ModelFormatError);
    expect(load).toThrow(/^my\/tokenizer\.json: is not valid JSON/);
  });

  it('names the file when tokenizer.json has no model', () => {
    expect(() => fromTokenizerJson({ tokenizer: '{"version": "1.0"}' })).toThrow(
      /^tokenizer\.json: has no "model" section/,
    );
    expect(() => fromTokenizerJson({ tokenizer: '[1, 2]' })).toThrow(/^tokenizer\.json: does not hold a JSON object/);
  });

  it('names tokenizer_config.json when it is broken', () => {
    const load = () => fromTokenizerJson({ tokenizer: smolJson, config: 'nope' });
    expect(load).toThrow(/^tokenizer_config\.json: is not valid JSON/);
    expect(() => fromTokenizerJson({ tokenizer: smolJson, config: { chat_template: 42 } })).toThrow(
      /^tokenizer_config\.json: "chat_template"/,
    );
  });

  it('names the file when the library cannot build the model', () => {
    expect(() => fromTokenizerJson({ tokenizer: { model: { type: 'Nonsense' } } })).toThrow(
      /^tokenizer\.json: could not be loaded/,
    );
  });
});
