/**
 * The chat dataset bench/data.bench.ts tokenizes: JSON Lines of `{"messages": [...]}` rows written at bench time
 * into a temporary file (never committed), drawn by a seeded generator so every run tokenizes the same text.
 *
 * Lengths are Alpaca-like: a user turn of 10–60 words, an assistant turn of 30–250; a fifth of the rows open with
 * a system message, a tenth have two or three exchanges. The words matter more than the lengths: a BPE tokenizer
 * caches the pieces of each word it has seen, so 20 repeated words would measure the cache, not the tokenizer.
 * Words are drawn Zipf-like (rank r with weight ~1/r) from the sample dataset's words followed by every plain word
 * of the tokenizer's own vocabulary (its merge order is roughly frequency order), with a few compounds of two
 * words (pieces the vocabulary lacks), numbers, commas, questions and numbered lists mixed in.
 */
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';

export interface ChatCorpus {
  path: string;
  rows: number;
  bytes: number;
  withSystem: number;
  multiTurn: number;
  words: number;
  vocabulary: number;
}

/** mulberry32: small, fast and good enough to draw text from. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The sample dataset's words first (the most frequent ranks), then the tokenizer vocabulary's plain words. */
export function corpusVocabulary(samplePath: string, tokenizerJsonPath: string): string[] {
  const sample = readFileSync(samplePath, 'utf8').toLowerCase().match(/[a-z]+/g) ?? [];
  const vocab = Object.keys((JSON.parse(readFileSync(tokenizerJsonPath, 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab)
    .filter((t) => /^Ġ[a-z]{2,}$/.test(t))
    .map((t) => t.slice(1));
  return [...new Set([...sample, ...vocab])];
}

class TextDrawer {
  constructor(
    private readonly random: () => number,
    private readonly words: readonly string[],
  ) {}

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  /** Rank r drawn with weight ~1/r (log-uniform over the ranks). */
  word(): string {
    const u = this.random();
    if (u < 0.02) return String(this.int(1, 2030));
    if (u < 0.05) return this.zipf() + this.zipf();
    return this.zipf();
  }

  private zipf(): string {
    return this.words[Math.floor(Math.exp(this.random() * Math.log(this.words.length))) - 1];
  }

  /** About `n` words in sentences of 4–18 words; assistant turns sometimes as a numbered list. */
  passage(n: number, list: boolean): string {
    const out: string[] = [];
    let left = n;
    let item = 1;
    while (left > 0) {
      const len = Math.min(left, this.int(4, 18));
      left -= len;
      const words = Array.from({ length: len }, () => this.word());
      words[0] = words[0][0].toUpperCase() + words[0].slice(1);
      if (len > 8 && this.random() < 0.4) words[this.int(2, len - 3)] += ',';
      const end = this.random() < 0.15 ? '?' : this.random() < 0.05 ? '!' : '.';
      const sentence = `${words.join(' ')}${end}`;
      out.push(list ? `${item++}. ${sentence}` : sentence);
    }
    return out.join(list ? '\n' : this.random() < 0.2 ? '\n\n' : ' ');
  }
}

/** Writes `rows` chat rows to `path` from `seed`. */
export async function writeChatCorpus(path: string, rows: number, words: readonly string[], seed = 1): Promise<ChatCorpus> {
  const draw = new TextDrawer(seeded(seed), words);
  const out = createWriteStream(path);
  const stats: ChatCorpus = { path, rows, bytes: 0, withSystem: 0, multiTurn: 0, words: 0, vocabulary: words.length };
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const messages: { role: string; content: string }[] = [];
    if (draw.int(1, 5) === 1) {
      messages.push({ role: 'system', content: draw.passage(draw.int(6, 25), false) });
      stats.withSystem++;
    }
    const exchanges = draw.int(1, 10) === 1 ? draw.int(2, 3) : 1;
    if (exchanges > 1) stats.multiTurn++;
    for (let e = 0; e < exchanges; e++) {
      const userWords = draw.int(10, 60);
      const assistantWords = draw.int(30, 250);
      stats.words += userWords + assistantWords;
      messages.push({ role: 'user', content: draw.passage(userWords, false) });
      messages.push({ role: 'assistant', content: draw.passage(assistantWords, draw.int(1, 8) === 1) });
    }
    const line = `${JSON.stringify({ messages })}\n`;
    stats.bytes += Buffer.byteLength(line);
    lines.push(line);
    if (lines.length === 2048 || r === rows - 1) {
      if (!out.write(lines.join(''))) await once(out, 'drain');
      lines.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
  return stats;
}
