/**
 * A base's tokenizer and chat template as GGUF metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`), for a
 * merged GGUF export: a GGUF base's vocabulary goes back as it was read; a Hugging Face base's tokenizer.json is
 * converted (model/tokenizer/to-gguf.ts).
 */
import type { GgufEntry } from '../model/gguf/types';
import { GgufValueType } from '../model/gguf/types';
import { gguf } from '../model/gguf/writer';
import type { GgufTokenizerSource } from '../model/tokenizer/gguf-vocab';
import type { TokenizerSpec } from '../model/tokenizer/spec';
import { ggufSourceFromTokenizerJson } from '../model/tokenizer/to-gguf';
import { parseJsonObject } from '../model/tokenizer/tokenizer-config';
import type { TokenizerFacts } from '../model/tokenizer/types';

/** The GGUF vocabulary a tokenizer spec stands for; `facts` are the tokenizer built from it (ids, BOS/EOS use). */
export function ggufVocabOf(spec: TokenizerSpec, facts: TokenizerFacts): GgufTokenizerSource {
  if (spec.kind === 'gguf') return spec.source;
  return ggufSourceFromTokenizerJson(parseJsonObject(spec.tokenizerJson, spec.tokenizerFile), facts, spec.tokenizerFile);
}

export function ggufTokenizerMetadata(source: GgufTokenizerSource, chatTemplate: string | null): [string, GgufEntry][] {
  const entries: [string, GgufEntry][] = [
    ['tokenizer.ggml.model', gguf.string(source.model)],
    ['tokenizer.ggml.tokens', gguf.strings([...source.tokens])],
  ];
  if (source.scores) entries.push(['tokenizer.ggml.scores', gguf.array(GgufValueType.Float32, Float32Array.from(source.scores))]);
  if (source.tokenTypes) entries.push(['tokenizer.ggml.token_type', gguf.array(GgufValueType.Int32, Int32Array.from(source.tokenTypes))]);
  if (source.merges) entries.push(['tokenizer.ggml.merges', gguf.strings([...source.merges])]);
  if (source.preTokenizer !== undefined) entries.push(['tokenizer.ggml.pre', gguf.string(source.preTokenizer)]);
  const ids: [string, number | undefined][] = [
    ['bos_token_id', source.bosId],
    ['eos_token_id', source.eosId],
    ['unknown_token_id', source.unkId],
    ['padding_token_id', source.padId],
  ];
  for (const [key, id] of ids) if (id !== undefined) entries.push([`tokenizer.ggml.${key}`, gguf.u32(id)]);
  const flags: [string, boolean | undefined][] = [
    ['add_bos_token', source.addBos],
    ['add_eos_token', source.addEos],
    ['add_space_prefix', source.addSpacePrefix],
  ];
  for (const [key, on] of flags) if (on !== undefined) entries.push([`tokenizer.ggml.${key}`, gguf.bool(on)]);
  if (chatTemplate !== null) entries.push(['tokenizer.chat_template', gguf.string(chatTemplate)]);
  return entries;
}
