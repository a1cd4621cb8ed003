import { afterAll, describe, expect, it } from 'vitest';
import { closeModel, type LoadedModel } from '../load';
import { loadModelFromPath } from '../load-node';
import { tokenizerFromSpec } from './spec';
import { readText, SMOLLM2, STORIES_GGUF, STORIES_HF } from './testing/fixtures';
import { HARD_CASES, randomTexts } from './testing/texts';
import { fromTokenizerJson } from './hf-tokenizer';
import type { Tokenizer } from './types';

const texts = [...HARD_CASES, ...randomTexts(100, 7), '<|im_start|>user\nhi<|im_end|>'];
const opened: LoadedModel[] = [];
afterAll(() => Promise.all(opened.map(closeModel)));

/** The spec as another thread receives it (structured clone), built again. */
const rebuilt = (model: LoadedModel) => tokenizerFromSpec(structuredClone(model.tokenizerSpec));

function expectSameTokenizer(a: Tokenizer, b: Tokenizer): void {
  expect([b.vocabSize, b.bosId, b.eosId, b.addBosByDefault, b.addEosByDefault]).toEqual([a.vocabSize, a.bosId, a.eosId, a.addBosByDefault, a.addEosByDefault]);
  for (const text of texts) {
    expect(b.encode(text), JSON.stringify(text)).toEqual(a.encode(text));
    expect(b.encode(text, { addBos: true, addEos: true })).toEqual(a.encode(text, { addBos: true, addEos: true }));
  }
}

describe('TokenizerSpec: a loaded model\'s tokenizer as plain data, built again after a structured clone', () => {
  it('GGUF (stories260K, SentencePiece)', async () => {
    const model = await loadModelFromPath(STORIES_GGUF);
    opened.push(model);
    expect(model.tokenizerSpec.kind).toBe('gguf');
    expectSameTokenizer(model.tokenizer, rebuilt(model));
  });

  it('Hugging Face folder (stories260K/hf, with tokenizer_config.json)', async () => {
    const model = await loadModelFromPath(STORIES_HF);
    opened.push(model);
    expect(model.tokenizerSpec.kind).toBe('hf');
    expectSameTokenizer(model.tokenizer, rebuilt(model));
  });

  it('a byte-level BPE tokenizer.json (SmolLM2), after the first tokenizer was built from the same object', () => {
    const json = JSON.parse(readText(`${SMOLLM2}tokenizer.json`)) as object;
    const first = fromTokenizerJson({ tokenizer: json });
    const again = tokenizerFromSpec(structuredClone({ kind: 'hf', tokenizerJson: json, config: null, tokenizerFile: 't.json', configFile: 'c.json' }));
    expectSameTokenizer(first, again);
  });
});
