/**
 * The vocabulary a GGUF file carries under `tokenizer.ggml.*`, handed over as a plain object so this folder does
 * not depend on the GGUF reader, and checked once here so the two algorithms can trust it.
 */
import { ModelFormatError } from '../errors';
import { TokenizerError } from './types';

export interface GgufTokenizerSource {
  /** `tokenizer.ggml.model`: 'llama' = SentencePiece-style, 'gpt2' = byte-level BPE. */
  model: 'llama' | 'gpt2';
  /** `tokenizer.ggml.tokens`, indexed by id. */
  tokens: readonly string[];
  /** `tokenizer.ggml.scores` (required for 'llama'): higher merges first. */
  scores?: Float32Array | readonly number[];
  /** `tokenizer.ggml.token_type` (see TokenType). */
  tokenTypes?: Int32Array | readonly number[];
  /** `tokenizer.ggml.merges` (required for 'gpt2'): "left right", in priority order. */
  merges?: readonly string[];
  bosId?: number;
  eosId?: number;
  unkId?: number;
  padId?: number;
  /** `tokenizer.ggml.add_bos_token`; defaults to true for 'llama', false for 'gpt2' (llama.cpp's defaults). */
  addBos?: boolean;
  addEos?: boolean;
  /** `tokenizer.ggml.add_space_prefix` ('llama' only); default true. */
  addSpacePrefix?: boolean;
  /** `tokenizer.ggml.pre` ('gpt2' only); see pretokenize.ts for the supported values. */
  preTokenizer?: string;
}

/** GGUF's token types (llama.cpp's `llama_token_type`). */
export const TokenType = {
  Undefined: 0,
  Normal: 1,
  Unknown: 2,
  Control: 3,
  UserDefined: 4,
  Unused: 5,
  Byte: 6,
} as const;

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

export class GgufVocab {
  readonly tokens: readonly string[];
  readonly types: Uint8Array;
  readonly ids = new Map<string, number>();
  /** Byte value → id of its "<0xNN>" token, -1 where the vocabulary has none. */
  readonly byteIds = new Int32Array(256).fill(-1);
  /** Id → the byte its "<0xNN>" token stands for, -1 for every other token. */
  readonly byteOf: Int16Array;
  /** Strings cut out of text before encoding, with their ids. */
  readonly parsedSpecials = new Map<string, number>();
  readonly special: Set<number>;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly unkId: number | null;
  readonly padId: number | null;

  constructor(
    readonly source: GgufTokenizerSource,
    readonly file: string,
  ) {
    const fail = (problem: string): never => {
      throw new ModelFormatError(file, problem);
    };
    const n = source.tokens.length;
    if (n === 0) fail("metadata key 'tokenizer.ggml.tokens' is empty");
    if (source.tokenTypes && source.tokenTypes.length !== n) {
      fail(`metadata key 'tokenizer.ggml.token_type' has ${source.tokenTypes.length} entries for ${n} tokens`);
    }
    this.tokens = source.tokens;
    this.types = new Uint8Array(n).fill(TokenType.Normal);
    for (let id = 0; id < n; id++) {
      const text = source.tokens[id];
      if (typeof text !== 'string') fail(`token ${id} in 'tokenizer.ggml.tokens' is not a string`);
      if (source.tokenTypes) this.types[id] = source.tokenTypes[id];
      else if (source.model === 'llama' && BYTE_TOKEN.test(text)) this.types[id] = TokenType.Byte;
      // The first id wins on duplicates, as in llama.cpp's token_to_id map built in id order.
      if (!this.ids.has(text)) this.ids.set(text, id);
    }
    const optionalId = (value: number | undefined): number | null =>
      value !== undefined && Number.isInteger(value) && value >= 0 && value < n ? value : null;
    this.bosId = optionalId(source.bosId);
    this.eosId = optionalId(source.eosId);
    this.unkId = optionalId(source.unkId);
    this.padId = optionalId(source.padId);

    this.special = new Set<number>();
    this.byteOf = new Int16Array(n).fill(-1);
    for (let id = 0; id < n; id++) {
      const type = this.types[id];
      if (type === TokenType.Byte) {
        const m = BYTE_TOKEN.exec(this.tokens[id]);
        if (m) {
          const byte = parseInt(m[1], 16);
          if (this.byteIds[byte] < 0) this.byteIds[byte] = id;
          this.byteOf[id] = byte;
        }
      }
      if (type === TokenType.Control || type === TokenType.Unknown) this.special.add(id);
      if (type === TokenType.Control || type === TokenType.Unknown || type === TokenType.UserDefined) {
        if (!this.parsedSpecials.has(this.tokens[id])) this.parsedSpecials.set(this.tokens[id], id);
      }
    }
    for (const id of [this.bosId, this.eosId, this.unkId, this.padId]) {
      if (id === null) continue;
      this.special.add(id);
      if (!this.parsedSpecials.has(this.tokens[id])) this.parsedSpecials.set(this.tokens[id], id);
    }
  }

  checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
      throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${this.tokens.length - 1})`);
    }
  }

  /**
   * Ids → text, the part both GGUF algorithms share: every id checked, a special token written as stored (or left
   * out), and every other token's bytes given by `writePiece`, which knows how its algorithm spells them.
   */
  decodeWith(
    ids: readonly number[],
    skipSpecial: boolean,
    writePiece: (id: number, text: string, sink: ByteSink) => void,
  ): string {
    const sink = new ByteSink();
    for (const id of ids) {
      this.checkId(id);
      const text = this.tokens[id];
      if (!this.special.has(id)) writePiece(id, text, sink);
      else if (!skipSpecial) sink.pushAll(utf8Bytes(text));
    }
    return sink.text();
  }
}

const utf8 = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF that the text really contained.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

export function utf8Text(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Grows a byte buffer as decoding appends pieces. */
export class ByteSink {
  private buffer = new Uint8Array(64);
  private length = 0;

  push(byte: number): void {
    if (this.length === this.buffer.length) this.grow(1);
    this.buffer[this.length++] = byte;
  }

  pushAll(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) this.grow(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  text(): string {
    return utf8Text(this.buffer.subarray(0, this.length));
  }

  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
}
