/**
 * A Hugging Face tokenizer.json as the vocabulary a GGUF file carries (`tokenizer.ggml.*`), so a model loaded from
 * a Hugging Face folder can be exported as a GGUF that llama.cpp tokenizes the same way. Two shapes convert:
 *
 * - byte-level BPE (GPT-2, SmolLM2, Llama 3, Qwen2): GGUF 'gpt2', the same vocabulary and merges, the
 *   pre-tokenizer named as llama.cpp knows it (hf-byte-bpe.ts reads that shape already);
 * - BPE with byte fallback over '▁'-joined text (Llama 2, Mistral, TinyLlama: tokenizer.json files converted
 *   from a SentencePiece model): GGUF 'llama'. SentencePiece merges the adjacent pair whose joined piece has the
 *   highest score, so each piece a merge makes scores minus that merge's rank (the first merge made it wins) and
 *   BPE's merge order is kept; pieces no merge makes score below every merge; <0xNN> pieces are bytes.
 *
 * Ids, BOS/EOS/padding/unknown and whether BOS/EOS are added come from the tokenizer as loaded (its facts), so
 * the GGUF behaves as the studio's tokenizer did.
 */
import { ModelFormatError } from '../errors';
import { type GgufTokenizerSource, TokenType } from './gguf-vocab';
import { byteLevelGgufSource } from './hf-byte-bpe';
import type { TokenizerFacts } from './types';

type Json = Record<string, unknown>;

const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;

function spmLikeSource(json: Json, file: string): GgufTokenizerSource {
  const model = json.model as Json;
  const vocab = model.vocab as Record<string, number>;
  const merges = (model.merges as (string | string[])[]).map((m) => (Array.isArray(m) ? m.join('') : m.replace(' ', '')));
  let size = 0;
  for (const id of Object.values(vocab)) size = Math.max(size, id + 1);
  const added = (json.added_tokens ?? []) as Json[];
  for (const t of added) size = Math.max(size, (t.id as number) + 1);
  const tokens: string[] = new Array(size).fill('');
  for (const [text, id] of Object.entries(vocab)) tokens[id] = text;
  const rank = new Map<string, number>();
  merges.forEach((piece, i) => {
    if (!rank.has(piece)) rank.set(piece, i);
  });
  const scores = new Float32Array(size);
  const tokenTypes = new Int32Array(size).fill(TokenType.Normal);
  tokens.forEach((text, id) => {
    if (BYTE_PIECE.test(text)) tokenTypes[id] = TokenType.Byte;
    else scores[id] = -(rank.get(text) ?? merges.length + id);
  });
  for (const t of added) {
    const id = t.id as number;
    tokens[id] = t.content as string;
    tokenTypes[id] = t.content === model.unk_token ? TokenType.Unknown : t.special ? TokenType.Control : TokenType.UserDefined;
    scores[id] = 0;
  }
  if (tokens.some((t) => t === '')) throw new ModelFormatError(file, 'leaves some ids without a token; it cannot be written as a GGUF vocabulary');
  return { model: 'llama', tokens, scores, tokenTypes, addSpacePrefix: prependsSpace(json) };
}

/** Whether the text gets a leading '▁' (SentencePiece's add_dummy_prefix), as llama.cpp's add_space_prefix. */
function prependsSpace(json: Json): boolean {
  const parts = (n: unknown): Json[] => {
    const j = n as Json | null;
    if (!j) return [];
    return j.type === 'Sequence' ? ((j.normalizers ?? j.pretokenizers ?? []) as Json[]) : [j];
  };
  const normalizer = parts(json.normalizer).some((n) => n.type === 'Prepend' && n.prepend === '▁');
  const metaspace = parts(json.pre_tokenizer).some((p) => p.type === 'Metaspace' && p.prepend_scheme !== 'never' && p.add_prefix_space !== false);
  return normalizer || metaspace;
}

/** The GGUF vocabulary of a tokenizer.json; a ModelFormatError naming the file for shapes that do not convert. */
export function ggufSourceFromTokenizerJson(json: Json, facts: TokenizerFacts, file: string): GgufTokenizerSource {
  const model = json.model as Json | undefined;
  if (!model || model.type !== 'BPE') {
    throw new ModelFormatError(file, `is a ${String(model?.type)} tokenizer; a GGUF export converts BPE tokenizers (byte-level, or with byte fallback) only`);
  }
  let source: GgufTokenizerSource;
  if (model.byte_fallback) source = spmLikeSource(json, file);
  else {
    const byteLevel = byteLevelGgufSource(json);
    if (!byteLevel) {
      throw new ModelFormatError(file, "has a pre-tokenizer llama.cpp's GGUF names do not cover (GPT-2, SmolLM, Llama 3 and Qwen2 ones convert)");
    }
    source = { ...byteLevel.source, preTokenizer: byteLevel.pre };
  }
  const id = (v: number | null) => v ?? undefined;
  return {
    ...source,
    bosId: id(facts.bosId),
    eosId: id(facts.eosId),
    unkId: id(facts.unkId),
    padId: id(facts.padId),
    addBos: facts.addBosByDefault,
    addEos: facts.addEosByDefault,
  };
}
