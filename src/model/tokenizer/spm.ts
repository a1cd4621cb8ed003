/**
 * SentencePiece-style BPE over a GGUF 'llama' vocabulary, the algorithm of llama.cpp's SPM tokenizer: spaces
 * become "▁", a "▁" is put in front of text that starts the input or follows a special token, the text is split
 * into code points, and the adjacent pair whose concatenation is the highest-scoring token is merged until no pair
 * is a token. A code point that is not a token is spelled as its UTF-8 bytes with the <0xNN> byte tokens.
 */
import { mergeSymbols } from './merge-queue';
import { type GgufVocab, utf8Bytes } from './gguf-vocab';

const SPACE = '\u2581';

export class SpmModel {
  private readonly scores: Float32Array | readonly number[];

  constructor(
    private readonly vocab: GgufVocab,
    private readonly addSpacePrefix: boolean,
  ) {
    this.scores = vocab.source.scores!;
  }

  /** Encodes one stretch of plain text; `startsSegment` is true at the start and after a special token. */
  encodeText(text: string, startsSegment: boolean, out: number[]): void {
    const spaced = (this.addSpacePrefix && startsSegment ? ' ' : '') + text;
    if (!spaced) return;
    const escaped = spaced.replaceAll(' ', SPACE);
    const { ids } = this.vocab;
    const symbols = mergeSymbols([...escaped], (left, right) => {
      const id = ids.get(left + right);
      // Negated so the highest score pops first from the min-ordered queue.
      return id === undefined ? undefined : -this.scores[id];
    });
    for (const symbol of symbols) {
      const id = ids.get(symbol);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      this.byteFallback(symbol, out);
    }
  }

  decode(ids: readonly number[], skipSpecial: boolean): string {
    const { byteOf } = this.vocab;
    const text = this.vocab.decodeWith(ids, skipSpecial, (id, piece, sink) => {
      if (byteOf[id] >= 0) sink.push(byteOf[id]);
      else sink.pushAll(utf8Bytes(piece.replaceAll(SPACE, ' ')));
    });
    // Undo the "▁" that encoding put in front (Hugging Face's Strip decoder removes one leading space).
    return this.addSpacePrefix && text.startsWith(' ') ? text.slice(1) : text;
  }

  /** Hugging Face's byte fallback: the character's bytes if every one has a token, else one unknown token. */
  private byteFallback(symbol: string, out: number[]): void {
    const bytes = utf8Bytes(symbol);
    const byteIds = Array.from(bytes, (b) => this.vocab.byteIds[b]);
    if (byteIds.every((id) => id >= 0)) out.push(...byteIds);
    else if (this.vocab.unkId !== null) out.push(this.vocab.unkId);
  }
}
