/**
 * The encoder for the tokenizer.json files that are plain byte-level BPE (GPT-2, SmolLM2, Llama 3, Qwen2 and most
 * causal LMs since): the same algorithm the GGUF path runs (byte-bpe.ts, with its word cache), fed the file's
 * vocabulary, merges and added tokens. `@huggingface/tokenizers` stays the tokenizer for everything else (decode,
 * look-ups, and encoding of any file whose shape is not recognised here); it encodes about six times slower, which
 * made the data pipeline's chat rows tokenizer-bound (issue 11: ~210k tokens/s against ~1.4M here).
 *
 * A file is taken only when every part that changes ids is one this path reproduces exactly: a BPE model with no
 * dropout, no subword prefix or suffix and no byte fallback; no normalizer (or NFC); a pre-tokenizer of one of the
 * shapes below; added tokens with no stripping or whole-word rule; every byte symbol in the vocabulary or
 * no unknown token. Anything else returns a reason and the library encodes, so the ids never depend on which path ran.
 * hf-byte-bpe.test.ts checks the two paths give the same ids, for SmolLM2's file and for its vocabulary under each
 * other pre-tokenizer shape.
 */
import { BYTE_TO_UNICODE, ByteBpeModel } from './byte-bpe';
import { type GgufTokenizerSource, GgufVocab, TokenType } from './gguf-vocab';
import { makePreTokenizer, type PreTokenizer } from './pretokenize';
import { SpecialSplitter } from './special-split';

/** Llama 3's and Qwen2's split patterns as their tokenizer.json files spell them (Oniguruma syntax). */
const SPLIT_PATTERNS: Record<string, PreTokenizer['kind']> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    'llama3',
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    'qwen2',
};

type Json = Record<string, unknown>;

export interface ByteBpeEncoder {
  /** Appends the ids of `text` (added-token strings become their ids), with no BOS/EOS. */
  encodeText(text: string, out: number[]): void;
}

export type ByteBpeChoice = { encoder: ByteBpeEncoder; reason?: undefined } | { encoder: null; reason: string };

/** The fast encoder for `json` (a parsed tokenizer.json), or why the library must encode it. */
export function byteBpeEncoderFor(json: Json, file: string): ByteBpeChoice {
  const model = json.model as Json;
  const refuse = (reason: string): ByteBpeChoice => ({ encoder: null, reason });
  if (model.type !== 'BPE') return refuse(`model type ${String(model.type)}`);
  if (model.dropout !== null && model.dropout !== undefined && model.dropout !== 0) return refuse('BPE dropout');
  if (model.continuing_subword_prefix || model.end_of_word_suffix) return refuse('subword prefix or suffix');
  if (model.byte_fallback) return refuse('byte fallback');
  const normalize = normalizerOf(json.normalizer);
  if (normalize === undefined) return refuse('normalizer');
  const kind = preTokenizerKind(json.pre_tokenizer);
  if (!kind) return refuse('pre-tokenizer');
  const added = (json.added_tokens ?? []) as Json[];
  if (!Array.isArray(added)) return refuse('added_tokens');
  for (const t of added) {
    if (!Number.isInteger(t.id) || typeof t.content !== 'string') return refuse('an added token without id or content');
    if (t.single_word || t.lstrip || t.rstrip) return refuse(`added token ${JSON.stringify(t.content)} strips or matches whole words`);
    // With a normalizer, a "normalized" added token is matched in the normalized text: a different split.
    if (normalize && t.normalized) return refuse('normalized added tokens');
  }
  const vocab = model.vocab as Record<string, number>;
  const merges = model.merges as (string | string[])[];
  if (typeof vocab !== 'object' || vocab === null || !Array.isArray(merges)) return refuse('vocab or merges');
  // A byte the vocabulary lacks is dropped by both paths when there is no unknown token (SmolLM2 lacks 21, such as
  // 0x04 and bytes no UTF-8 text has); with one, the library's fusing of unknowns is not reproduced here.
  if (model.unk_token && BYTE_TO_UNICODE.some((symbol) => !(symbol in vocab))) {
    return refuse('a byte missing from the vocabulary, with an unknown token');
  }

  let bpe: { model: ByteBpeModel; splitter: SpecialSplitter } | null = null;
  // Built on first use: the maps cost tens of milliseconds for a 128k vocabulary, and many loads never encode.
  const build = () => {
    const source = sourceOf(vocab, merges, added);
    const gguf = new GgufVocab(source, file);
    const model = new ByteBpeModel(gguf, makePreTokenizer(kind), modelIgnoresMerges(json));
    return { model, splitter: new SpecialSplitter(gguf.parsedSpecials) };
  };
  return {
    encoder: {
      encodeText(text: string, out: number[]): void {
        bpe ??= build();
        for (const fragment of bpe.splitter.split(text)) {
          if (fragment.kind === 'token') out.push(fragment.id);
          else bpe.model.encodeText(normalize ? normalize(fragment.text) : fragment.text, out);
        }
      },
    },
  };
}

/**
 * A plain byte-level BPE tokenizer.json as a GGUF 'gpt2' vocabulary, with the `tokenizer.ggml.pre` name of its
 * pre-tokenizer (for writing a GGUF file); null when the file's pre-tokenizer is not one this module knows.
 */
export function byteLevelGgufSource(json: Json): { source: GgufTokenizerSource; pre: string } | null {
  const model = json.model as Json;
  const kind = preTokenizerKind(json.pre_tokenizer);
  if (model.type !== 'BPE' || model.byte_fallback || !kind || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) return null;
  const source = sourceOf(model.vocab as Record<string, number>, model.merges as (string | string[])[], (json.added_tokens ?? []) as Json[]);
  return { source, pre: GGUF_PRE_NAMES[kind] };
}

/** The tokenizer.json `pre_tokenizer` of each kind: the inverse of `preTokenizerKind`. */
export function byteLevelPreTokenizerJson(kind: PreTokenizer['kind']): Json {
  const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
  if (kind === 'gpt2') return byteLevel(true);
  if (kind === 'smollm') return { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] };
  const regex = Object.keys(SPLIT_PATTERNS).find((r) => SPLIT_PATTERNS[r] === kind)!;
  const split = { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false };
  return { type: 'Sequence', pretokenizers: [split, byteLevel(false)] };
}

/** The `tokenizer.ggml.pre` value llama.cpp knows each pre-tokenizer by. */
const GGUF_PRE_NAMES: Record<PreTokenizer['kind'], string> = { gpt2: 'gpt-2', smollm: 'smollm', llama3: 'llama-bpe', qwen2: 'qwen2' };

function modelIgnoresMerges(json: Json): boolean {
  return (json.model as Json).ignore_merges === true;
}

/** null: no normalizer; a function: NFC; undefined: one this path does not reproduce. */
function normalizerOf(normalizer: unknown): ((text: string) => string) | null | undefined {
  if (normalizer === null || normalizer === undefined) return null;
  const n = normalizer as Json;
  if (n.type === 'NFC') return (text) => text.normalize('NFC');
  if (n.type === 'Sequence' && Array.isArray(n.normalizers) && n.normalizers.length === 0) return null;
  return undefined;
}

/** The pre-tokenizer kinds of pretokenize.ts that a tokenizer.json section describes exactly, or null. */
function preTokenizerKind(pre: unknown): PreTokenizer['kind'] | null {
  const p = pre as Json | null;
  if (!p || typeof p !== 'object') return null;
  const byteLevel = (s: Json, useRegex: boolean) =>
    s.type === 'ByteLevel' && s.add_prefix_space === false && (s.use_regex ?? true) === useRegex;
  if (byteLevel(p, true)) return 'gpt2';
  if (p.type !== 'Sequence' || !Array.isArray(p.pretokenizers) || p.pretokenizers.length !== 2) return null;
  const [first, second] = p.pretokenizers as Json[];
  if (first.type === 'Digits' && first.individual_digits === true && byteLevel(second, true)) return 'smollm';
  if (first.type === 'Split' && byteLevel(second, false) && first.behavior === 'Isolated' && first.invert === false) {
    const regex = (first.pattern as Json | undefined)?.Regex;
    return typeof regex === 'string' ? (SPLIT_PATTERNS[regex] ?? null) : null;
  }
  return null;
}

/** The file's vocabulary as the GGUF-shaped source byte-bpe.ts reads: added tokens marked so they are cut out. */
function sourceOf(vocab: Record<string, number>, merges: readonly (string | string[])[], added: readonly Json[]): GgufTokenizerSource {
  let size = 0;
  for (const id of Object.values(vocab)) size = Math.max(size, id + 1);
  for (const t of added) size = Math.max(size, (t.id as number) + 1);
  // Ids no entry names stay empty strings; no symbol the merges make is empty, so they are never looked up.
  const tokens: string[] = new Array(size).fill('');
  const tokenTypes = new Int32Array(size).fill(TokenType.Normal);
  for (const [text, id] of Object.entries(vocab)) tokens[id] = text;
  for (const t of added) {
    tokens[t.id as number] = t.content as string;
    tokenTypes[t.id as number] = t.special ? TokenType.Control : TokenType.UserDefined;
  }
  return {
    model: 'gpt2',
    tokens,
    tokenTypes,
    // Newer files write a merge as a pair ["a", "b"], older ones as "a b".
    merges: merges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m)),
  };
}
