/**
 * A tokenizer as the tokenizer.json + tokenizer_config.json of a Hugging Face folder, for exporting a merged model
 * transformers loads. A Hugging Face base's own files go out as they came; a GGUF base's vocabulary is written as
 * the tokenizer.json that describes the same tokenizer (the inverse of to-gguf.ts):
 *
 * - 'gpt2' (byte-level BPE): the same vocabulary and merges, the pre-tokenizer its `pre` names;
 * - 'llama' (SentencePiece): BPE with byte fallback over '▁'-joined text. SentencePiece joins the adjacent pair
 *   whose joined piece scores highest, so every way of splitting a piece into two pieces of the vocabulary is a
 *   merge, ranked by the joined piece's score — BPE then joins the same pairs in the same order.
 */
import { ModelFormatError } from '../errors';
import { TokenType, type GgufTokenizerSource } from './gguf-vocab';
import { byteLevelPreTokenizerJson } from './hf-byte-bpe';
import { choosePreTokenizer } from './pretokenize';
import type { TokenizerSpec } from './spec';
import { parseJsonObject } from './tokenizer-config';
import type { Tokenizer, TokenizerFacts } from './types';

type Json = Record<string, unknown>;

function addedTokens(source: GgufTokenizerSource): Json[] {
  const types = source.tokenTypes ?? [];
  const out: Json[] = [];
  source.tokens.forEach((content, id) => {
    const type = types[id];
    if (type !== TokenType.Control && type !== TokenType.Unknown && type !== TokenType.UserDefined) return;
    out.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: type !== TokenType.UserDefined });
  });
  return out;
}

/** SentencePiece's pieces as ranked BPE merges: every split of a normal piece into two pieces of the vocabulary. */
function spmMerges(source: GgufTokenizerSource): string[][] {
  const types = source.tokenTypes ?? [];
  const scores = source.scores ?? [];
  const normal = new Map<string, number>();
  source.tokens.forEach((t, id) => {
    if ((types[id] ?? TokenType.Normal) === TokenType.Normal) normal.set(t, id);
  });
  const merges: { pair: string[]; score: number; id: number }[] = [];
  for (const [piece, id] of normal) {
    const chars = [...piece];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join(''), right = chars.slice(i).join('');
      if (normal.has(left) && normal.has(right)) merges.push({ pair: [left, right], score: scores[id] ?? 0, id });
    }
  }
  merges.sort((a, b) => b.score - a.score || a.id - b.id);
  return merges.map((m) => m.pair);
}

function postProcessor(facts: TokenizerFacts, tokenText: (id: number) => string | undefined): Json | null {
  const ids = [facts.addBosByDefault ? facts.bosId : null, facts.addEosByDefault ? facts.eosId : null];
  if (ids.every((id) => id === null)) return null;
  const special = (id: number | null) => (id === null ? [] : [{ SpecialToken: { id: tokenText(id), type_id: 0 } }]);
  const specials: Json = {};
  for (const id of ids) if (id !== null) specials[tokenText(id)!] = { id: tokenText(id), ids: [id], tokens: [tokenText(id)] };
  return {
    type: 'TemplateProcessing',
    single: [...special(ids[0]), { Sequence: { id: 'A', type_id: 0 } }, ...special(ids[1])],
    pair: [...special(ids[0]), { Sequence: { id: 'A', type_id: 0 } }, ...special(ids[1]), ...special(ids[0]), { Sequence: { id: 'B', type_id: 1 } }, ...special(ids[1])],
    special_tokens: specials,
  };
}

function fromGguf(source: GgufTokenizerSource, facts: TokenizerFacts, tokenText: (id: number) => string | undefined, file: string): Json {
  const vocab: Record<string, number> = {};
  source.tokens.forEach((t, id) => {
    if (!(t in vocab)) vocab[t] = id;
  });
  const common = { version: '1.0', truncation: null, padding: null, added_tokens: addedTokens(source), post_processor: postProcessor(facts, tokenText) };
  const unk = facts.unkId === null ? null : tokenText(facts.unkId);
  if (source.model === 'gpt2') {
    const kind = choosePreTokenizer(source.preTokenizer).preTokenizer.kind;
    return {
      ...common,
      normalizer: null,
      pre_tokenizer: byteLevelPreTokenizerJson(kind),
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE', dropout: null, unk_token: unk, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false,
        byte_fallback: false, ignore_merges: kind === 'llama3', vocab, merges: (source.merges ?? []).map((m) => m.split(' ')),
      },
    };
  }
  if (!source.scores) throw new ModelFormatError(file, "has no 'tokenizer.ggml.scores', so its merges cannot be written as tokenizer.json");
  const space = source.addSpacePrefix ?? true;
  const replace = { type: 'Replace', pattern: { String: ' ' }, content: '▁' };
  return {
    ...common,
    normalizer: space ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, replace] } : replace,
    pre_tokenizer: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(space ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: unk, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true,
      byte_fallback: true, ignore_merges: false, vocab, merges: spmMerges(source),
    },
  };
}

function configOf(facts: TokenizerFacts, tokenText: (id: number) => string | undefined, chatTemplate: string | null, json: Json): Json {
  const name = (id: number | null) => (id === null ? null : (tokenText(id) ?? null));
  const added: Json = {};
  for (const t of (json.added_tokens ?? []) as Json[]) {
    const { id, ...rest } = t;
    added[String(id)] = rest;
  }
  return {
    add_bos_token: facts.addBosByDefault,
    add_eos_token: facts.addEosByDefault,
    bos_token: name(facts.bosId),
    eos_token: name(facts.eosId),
    unk_token: name(facts.unkId),
    pad_token: name(facts.padId),
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    added_tokens_decoder: added,
    ...(chatTemplate !== null ? { chat_template: chatTemplate } : {}),
  };
}

/** tokenizer.json and tokenizer_config.json (as objects) for `spec`; `tokenizer` is what was built from it. */
export function tokenizerJsonFiles(spec: TokenizerSpec, tokenizer: Tokenizer, chatTemplate: string | null): { tokenizerJson: Json; tokenizerConfig: Json } {
  const text = (id: number) => tokenizer.tokenText(id);
  if (spec.kind === 'hf') {
    const tokenizerJson = parseJsonObject(spec.tokenizerJson, spec.tokenizerFile);
    const given = spec.config?.raw;
    const tokenizerConfig = given ? { ...given } : configOf(tokenizer, text, null, tokenizerJson);
    if (chatTemplate !== null && tokenizerConfig.chat_template === undefined) tokenizerConfig.chat_template = chatTemplate;
    return { tokenizerJson, tokenizerConfig };
  }
  const tokenizerJson = fromGguf(spec.source, tokenizer, text, spec.file);
  return { tokenizerJson, tokenizerConfig: configOf(tokenizer, text, chatTemplate, tokenizerJson) };
}
