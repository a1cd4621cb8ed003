/**
 * A `Tokenizer` from a GGUF file's vocabulary: special-token strings are cut out of the text first, each
 * remaining stretch goes through SentencePiece-style BPE ('llama') or byte-level BPE ('gpt2'), and BOS/EOS are
 * added as the file asks. Implemented here rather than through @huggingface/tokenizers because a GGUF carries
 * scores and token types, not a tokenizer.json.
 */
import { ModelFormatError } from '../errors';
import { assembleTokenizer, type TokenizerCore } from './assemble';
import { ByteBpeModel } from './byte-bpe';
import { type GgufTokenizerSource, GgufVocab } from './gguf-vocab';
import { choosePreTokenizer } from './pretokenize';
import { SpecialSplitter } from './special-split';
import { SpmModel } from './spm';
import type { DecodeOptions, Tokenizer } from './types';

export type { GgufTokenizerSource } from './gguf-vocab';

/** Builds the tokenizer; `file` names the GGUF in error messages. Throws `ModelFormatError` for a bad vocabulary. */
export function createGgufTokenizer(source: GgufTokenizerSource, file = 'model.gguf'): Tokenizer {
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  if (source.model !== 'llama' && source.model !== 'gpt2') {
    fail(`tokenizer model '${String(source.model)}' is not supported (expected 'llama' or 'gpt2')`);
  }
  const vocab = new GgufVocab(source, file);
  const warnings: string[] = [];
  let model: SpmModel | ByteBpeModel;
  if (source.model === 'llama') {
    if (!source.scores) fail("metadata key 'tokenizer.ggml.scores' is missing (a 'llama' tokenizer needs it)");
    const scores = source.scores!.length;
    if (scores !== source.tokens.length) {
      fail(`metadata key 'tokenizer.ggml.scores' has ${scores} entries for ${source.tokens.length} tokens`);
    }
    model = new SpmModel(vocab, source.addSpacePrefix ?? true);
  } else {
    if (!source.merges) fail("metadata key 'tokenizer.ggml.merges' is missing (a 'gpt2' tokenizer needs it)");
    const { preTokenizer, warning } = choosePreTokenizer(source.preTokenizer);
    if (warning) warnings.push(warning);
    model = new ByteBpeModel(vocab, preTokenizer);
  }
  return assembleTokenizer(
    {
      vocabSize: vocab.tokens.length,
      bosId: vocab.bosId,
      eosId: vocab.eosId,
      padId: vocab.padId,
      unkId: vocab.unkId,
      specialIds: [...vocab.special].sort((a, b) => a - b),
      addBosByDefault: (source.addBos ?? source.model === 'llama') && vocab.bosId !== null,
      addEosByDefault: (source.addEos ?? false) && vocab.eosId !== null,
      warnings,
    },
    new GgufCore(vocab, model),
  );
}

class GgufCore implements TokenizerCore {
  private readonly splitter: SpecialSplitter;

  constructor(
    private readonly vocab: GgufVocab,
    private readonly model: SpmModel | ByteBpeModel,
  ) {
    this.splitter = new SpecialSplitter(vocab.parsedSpecials);
  }

  encodeText(text: string, out: number[]): void {
    let startsSegment = true;
    for (const fragment of this.splitter.split(text)) {
      if (fragment.kind === 'token') {
        out.push(fragment.id);
        startsSegment = true;
        continue;
      }
      if (this.model instanceof SpmModel) this.model.encodeText(fragment.text, startsSegment, out);
      else this.model.encodeText(fragment.text, out);
      startsSegment = false;
    }
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return this.model.decode(ids, options.skipSpecial ?? false);
  }

  tokenId(token: string): number | undefined {
    return this.vocab.ids.get(token);
  }

  tokenText(id: number): string | undefined {
    return this.vocab.tokens[id];
  }

  isSpecial(id: number): boolean {
    return this.vocab.special.has(id);
  }
}
