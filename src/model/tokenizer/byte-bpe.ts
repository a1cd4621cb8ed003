/**
 * Byte-level BPE over a GGUF 'gpt2' vocabulary (GPT-2, SmolLM, Llama 3, Qwen2): text is pre-tokenized by a regex,
 * each piece's UTF-8 bytes are written as printable characters through GPT-2's byte↔unicode table (so "Ġ" is a
 * space), and adjacent symbols are merged in the order of `tokenizer.ggml.merges` until no listed merge applies.
 */
import { mergeSymbols } from './merge-queue';
import { type GgufVocab, TokenType, utf8Bytes } from './gguf-vocab';
import type { PreTokenizer } from './pretokenize';

/**
 * GPT-2's table: printable Latin-1 bytes stand for themselves; the other 68 bytes (controls, space, NBSP, soft
 * hyphen) take code points 256, 257, … in byte order, so every byte is one visible character.
 */
function byteToUnicodeTable(): string[] {
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return table;
}

export const BYTE_TO_UNICODE: readonly string[] = byteToUnicodeTable();
const UNICODE_TO_BYTE = new Map<string, number>(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

const WORD_CACHE_LIMIT = 50_000;

export class ByteBpeModel {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly vocab: GgufVocab,
    private readonly preTokenizer: PreTokenizer,
    /** A whole pre-token that is already a token skips merging; a GGUF says so through its pre-tokenizer's name. */
    private readonly ignoreMerges = preTokenizer.ignoreMerges,
  ) {
    const merges = vocab.source.merges!;
    // A merge is stored as "left right"; keying the map by that string avoids splitting it.
    for (let rank = 0; rank < merges.length; rank++) {
      if (!this.ranks.has(merges[rank])) this.ranks.set(merges[rank], rank);
    }
  }

  encodeText(text: string, out: number[]): void {
    for (const word of this.preTokenizer.split(text)) {
      let ids = this.cache.get(word);
      if (!ids) {
        ids = this.encodeWord(word);
        if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  decode(ids: readonly number[], skipSpecial: boolean): string {
    const { types } = this.vocab;
    return this.vocab.decodeWith(ids, skipSpecial, (id, text, sink) => {
      // Added tokens are stored as plain text, not byte-mapped.
      if (types[id] === TokenType.UserDefined) return sink.pushAll(utf8Bytes(text));
      for (const ch of text) {
        const byte = UNICODE_TO_BYTE.get(ch);
        if (byte !== undefined) sink.push(byte);
        else sink.pushAll(utf8Bytes(ch));
      }
    });
  }

  private encodeWord(word: string): number[] {
    const symbols = Array.from(utf8Bytes(word), (b) => BYTE_TO_UNICODE[b]);
    const { ids } = this.vocab;
    if (this.ignoreMerges) {
      const whole = ids.get(symbols.join(''));
      if (whole !== undefined) return [whole];
    }
    const merged = mergeSymbols(symbols, (left, right) => this.ranks.get(`${left} ${right}`));
    const out: number[] = [];
    for (const symbol of merged) {
      const id = ids.get(symbol);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // A merge whose result is missing from the vocabulary: fall back to the single bytes, then to unknown.
      for (const ch of symbol) {
        const byteId = ids.get(ch);
        if (byteId !== undefined) out.push(byteId);
        else if (this.vocab.unkId !== null) out.push(this.vocab.unkId);
      }
    }
    return out;
  }
}
