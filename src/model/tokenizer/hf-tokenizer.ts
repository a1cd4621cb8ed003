/**
 * A `Tokenizer` from a Hugging Face `tokenizer.json` (+ `tokenizer_config.json` when the model has one), run by
 * `@huggingface/tokenizers`, which implements the normalizers, pre-tokenizers and models those files describe.
 * A plain byte-level BPE file is encoded by the project's own BPE instead (hf-byte-bpe.ts: same ids, ~6× faster);
 * decoding and look-ups stay with the library.
 * BOS/EOS are added here rather than by the file's post-processor, so `encode(text, {addBos})` means the same
 * for every tokenizer; whether the model wants them by default is read off what its post-processor does.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ModelFormatError } from '../errors';
import { assembleTokenizer, type TokenizerCore } from './assemble';
import { type ByteBpeEncoder, byteBpeEncoderFor } from './hf-byte-bpe';
import { parseJsonObject, parseTokenizerConfig, type TokenizerConfig } from './tokenizer-config';
import { type DecodeOptions, type Tokenizer, type TokenizerFacts, TokenizerError } from './types';

export interface TokenizerJsonFiles {
  /** tokenizer.json, as text or parsed. */
  tokenizer: string | object;
  /** tokenizer_config.json, as text, parsed, or already a TokenizerConfig; absent for models without one. */
  config?: string | object | TokenizerConfig | null;
  /** Names used in error messages. */
  tokenizerFile?: string;
  configFile?: string;
  /**
   * 'auto' (default): the fast byte-level BPE encoder where the file's shape allows it, else the library;
   * 'library': always the library (the reference the fast path is tested against).
   */
  encoder?: 'auto' | 'library';
}

export function fromTokenizerJson(files: TokenizerJsonFiles): Tokenizer {
  const file = files.tokenizerFile ?? 'tokenizer.json';
  const json = parseJsonObject(files.tokenizer, file);
  const model = json.model as Record<string, unknown> | undefined;
  if (typeof model !== 'object' || model === null) {
    throw new ModelFormatError(file, 'has no "model" section, so it is not a Hugging Face tokenizer.json');
  }
  const config = toConfig(files.config, files.configFile ?? 'tokenizer_config.json');
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, config?.raw ?? {});
  } catch (e) {
    throw new ModelFormatError(file, `could not be loaded: ${(e as Error).message}`);
  }
  const facts = readFacts(hf, config, model);
  const fast = files.encoder === 'library' ? null : byteBpeEncoderFor(json, file).encoder;
  return assembleTokenizer(facts, new HfCore(hf, facts.vocabSize, new Set(facts.specialIds), fast));
}

function toConfig(config: TokenizerJsonFiles['config'], file: string): TokenizerConfig | null {
  if (config === undefined || config === null) return null;
  if (typeof config === 'object' && 'raw' in config && 'chatTemplate' in config) return config as TokenizerConfig;
  return parseTokenizerConfig(config as string | object, file);
}

/**
 * The special ids and default framing: the added tokens marked special, the config's named tokens, and whatever
 * the file's post-processor adds around a one-character text (which tells the default BOS/EOS behaviour).
 */
function readFacts(
  hf: HfTokenizer,
  config: TokenizerConfig | null,
  model: Record<string, unknown>,
): Omit<TokenizerFacts, 'eosIds'> {
  let maxId = -1;
  for (const id of hf.get_vocab(true).values()) maxId = Math.max(maxId, id);
  const special = new Set([...hf.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));

  const plain = hf.encode('a', { add_special_tokens: false }).ids;
  const framed = hf.encode('a', { add_special_tokens: true }).ids;
  const at = indexOfRun(framed, plain);
  const addedBos = at > 0 ? framed[at - 1] : null;
  const addedEos = at >= 0 && at + plain.length < framed.length ? framed[at + plain.length] : null;

  const idOf = (token: string | null | undefined) => (token ? (hf.token_to_id(token) ?? null) : null);
  const bosId = idOf(config?.bosToken) ?? addedBos;
  const eosId = idOf(config?.eosToken) ?? addedEos;
  const padId = idOf(config?.padToken);
  const unkId = idOf(config?.unkToken) ?? idOf(typeof model.unk_token === 'string' ? model.unk_token : null);
  for (const id of [bosId, eosId, padId, unkId]) if (id !== null) special.add(id);
  return {
    vocabSize: maxId + 1,
    bosId,
    eosId,
    padId,
    unkId,
    specialIds: [...special].sort((a, b) => a - b),
    addBosByDefault: addedBos !== null && addedBos === bosId,
    addEosByDefault: addedEos !== null && addedEos === eosId,
    warnings: [],
  };
}

class HfCore implements TokenizerCore {
  constructor(
    private readonly hf: HfTokenizer,
    private readonly vocabSize: number,
    private readonly special: ReadonlySet<number>,
    private readonly fast: ByteBpeEncoder | null,
  ) {}

  encodeText(text: string, out: number[]): void {
    if (this.fast) return this.fast.encodeText(text, out);
    for (const id of this.hf.encode(text, { add_special_tokens: false }).ids) out.push(id);
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
    }
    if (ids.length === 0) return '';
    // No clean-up of spaces before punctuation: decoding must give back exactly the text that was encoded.
    return this.hf.decode([...ids], {
      skip_special_tokens: options.skipSpecial ?? false,
      clean_up_tokenization_spaces: false,
    });
  }

  tokenId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  tokenText(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  isSpecial(id: number): boolean {
    return this.special.has(id);
  }
}

function indexOfRun(haystack: readonly number[], needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
