/**
 * "Before": the data path of a training run before streaming, kept here only to be measured against the new one.
 * The whole file parsed into memory (`parseDatasetBlob`), every row tokenized, the set split and one epoch of
 * batches made in memory (`TrainBatchIterator`).
 *
 * Chat rows are tokenized the way src/data/tokenize.ts did it before a row was encoded once: its chat branch,
 * replicated line for line, calling the prefix-based span method (the rendered text encoded once more up to every
 * span boundary) that src/model/chat/testing keeps as a reference. Text rows and everything after the ids
 * (truncation, trained count, content key) are tokenize.ts's own, unchanged by that rewrite.
 */
import type { TokenBatch } from '../src/data/batch-types';
import { TrainBatchIterator } from '../src/data/batch-iterator';
import { parseDatasetBlob } from '../src/data/read';
import { contentKey, splitTrainValidation } from '../src/data/split';
import { nothingTrainedError, type TokenizedExample, type TokenizeOptions } from '../src/data/tokenize';
import type { DatasetReadSettings, Example } from '../src/data/types';
import { ChatTemplateError, type RenderedConversation, renderWithAssistantSpans, type TokenizedConversation } from '../src/model/chat';
import type { Tokenizer } from '../src/model/tokenizer';

/** The span method of the chat branch: the reference (prefix) one for "before". */
export type SpanTokenizer = (tokenizer: Tokenizer, conversation: RenderedConversation) => TokenizedConversation;

export interface BeforeResult {
  rows: number;
  examples: number;
  tokens: number;
  batches: number;
}

/**
 * One full pass the old way: parse, tokenize, split, one epoch of batches. `sample` is called every 256 rows and
 * per batch, so a heap sampler sees the synchronous tokenizing loop (a timer cannot fire inside it).
 */
export async function runBefore(
  blob: Blob,
  o: {
    file: string;
    read: DatasetReadSettings;
    tokenize: Omit<TokenizeOptions, 'file' | 'onProgress'>;
    split: { validationFraction: number; seed: number };
    batch: { microBatchSize: number; seqLen: number; packing: boolean };
    seed: number;
    spans: SpanTokenizer;
    sample: () => void;
  },
): Promise<BeforeResult> {
  const parsed = await parseDatasetBlob(blob, { ...o.read, file: o.file, onProgress: o.sample });
  const examples: TokenizedExample[] = [];
  let tokens = 0;
  parsed.examples.forEach((example, index) => {
    if (index % 256 === 0) o.sample();
    const result = tokenizeExampleBefore(example, o.tokenize, o.spans, index);
    if (result) {
      examples.push(result);
      tokens += result.ids.length;
    }
  });
  if (examples.length === 0) throw nothingTrainedError(o.file, parsed.examples.length, []);
  const { train } = splitTrainValidation(examples, o.split);
  const iterator = new TrainBatchIterator(train, { ...o.batch, seed: o.seed });
  let batches = 0;
  let keep: TokenBatch | null = null;
  for (let i = 0; i < iterator.epochBatches; i++) {
    keep = iterator.next().batch;
    batches++;
    if (i % 256 === 0) o.sample();
  }
  void keep;
  return { rows: parsed.rows, examples: parsed.examples.length, tokens, batches };
}

/** tokenize.ts's `tokenizeExample` with the prefix span method; null where the row would be dropped. */
function tokenizeExampleBefore(
  example: Example,
  options: Omit<TokenizeOptions, 'file' | 'onProgress'>,
  spans: SpanTokenizer,
  index: number,
): TokenizedExample | null {
  const { seqLen } = options;
  let tokens: { ids: number[]; trained: Uint8Array };
  try {
    tokens = example.kind === 'chat' ? tokenizeChatBefore(example.messages, options, spans) : tokenizeText(example.text, options.tokenizer);
  } catch (e) {
    if (!(e instanceof ChatTemplateError)) throw e;
    return null;
  }
  let { ids, trained } = tokens;
  const fullLength = ids.length;
  if (fullLength > seqLen) {
    ids = ids.slice(0, seqLen);
    trained = trained.slice(0, seqLen);
  }
  trained[0] = 0;
  let trainedCount = 0;
  for (let i = 0; i < trained.length; i++) trainedCount += trained[i];
  if (trainedCount === 0) return null;
  const out: TokenizedExample = { ids: Uint32Array.from(ids), trained, trainedCount, key: contentKey(example), line: example.line ?? index + 1 };
  if (fullLength > seqLen) out.truncatedFrom = fullLength;
  return out;
}

function tokenizeChatBefore(
  messages: readonly { role: string; content: string }[],
  options: Omit<TokenizeOptions, 'file' | 'onProgress'>,
  spans: SpanTokenizer,
): { ids: number[]; trained: Uint8Array } {
  const rendered = renderWithAssistantSpans(options.template, messages);
  const { ids, assistantMask, tokenSpans } = spans(options.tokenizer, rendered);
  const end = tokenSpans.length ? Math.max(...tokenSpans.map((s) => s.end)) : ids.length;
  const trained = options.trainOnInputs ? new Uint8Array(end).fill(1) : assistantMask.slice(0, end);
  return { ids: ids.slice(0, end), trained };
}

function tokenizeText(text: string, tokenizer: Tokenizer): { ids: number[]; trained: Uint8Array } {
  const ids = tokenizer.encode(text, { addBos: tokenizer.addBosByDefault, addEos: false });
  if (tokenizer.eosId !== null) ids.push(tokenizer.eosId);
  return { ids, trained: new Uint8Array(ids.length).fill(1) };
}
