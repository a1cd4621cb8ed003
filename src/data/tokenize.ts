/**
 * Parsed examples → token ids plus which tokens are trained, one example at a time.
 *
 *  chat examples  rendered with the model's chat template (src/model/chat; models without one get its ChatML or
 *                 plain default), BOS added as the tokenizer/template want it. Trained: the assistant spans (the
 *                 content and the end-of-turn marker after it, so the model learns to stop), or every token with
 *                 `trainOnInputs`. The conversation is cut after its last assistant turn: what follows is template
 *                 glue or an unanswered user turn, nothing the model should learn to say.
 *  text examples  BOS (when the tokenizer adds it) + text + EOS (when the tokenizer has one, so the model learns
 *                 where a document ends); every token trained.
 *
 * `trained[i] = 1` means token i is a target: the model is trained to predict ids[i] from ids[0..i-1]. The first
 * token has nothing before it, so trained[0] is always 0.
 *
 * Too long (more than `seqLen` tokens): truncated to the first `seqLen` tokens and counted, or refused with a
 * DatasetError, by `overLength`. An example with no trained token left (e.g. its answer was cut off) is dropped
 * and reported; if every example is, the dataset is refused.
 */
import {
  type ChatTemplate,
  ChatTemplateError,
  renderWithAssistantSpans,
  tokenizeConversation,
} from '../model/chat';
import type { Tokenizer } from '../model/tokenizer';
import { contentKey } from './split';
import { type BadRow, DatasetError, type Example, formatBadRow } from './types';

export interface TokenizedExample {
  /** [n] token ids, n ≤ seqLen. */
  ids: Uint32Array;
  /** [n] 1 where ids[i] is a training target, 0 elsewhere; trained[0] = 0. */
  trained: Uint8Array;
  /** Number of 1s in `trained`. */
  trainedCount: number;
  /** The row's content hash (`contentKey`): which side of the split it falls on. */
  key: number;
  /** 1-based line of the row in its file, when known. */
  line?: number;
  /** Length before truncation, when the example was truncated. */
  truncatedFrom?: number;
}

export interface TokenizeOptions {
  tokenizer: Tokenizer;
  /** From `chatTemplateFor(tokenizer, modelTemplate)`. */
  template: ChatTemplate;
  /** Most tokens one example may have (the training sequence length). */
  seqLen: number;
  /** Train on every token of chat examples, not only the assistant's. Default false. */
  trainOnInputs?: boolean;
  /** What to do with an example longer than `seqLen`. Default 'truncate'. */
  overLength?: 'truncate' | 'refuse';
  /** The dataset's name, for messages. */
  file?: string;
  /** Called every `PROGRESS_EVERY` examples and at the end, for a progress bar over a large file. */
  onProgress?: (done: number, total: number) => void;
}

export interface TokenizeResult {
  examples: TokenizedExample[];
  /** Examples cut to `seqLen` tokens (they are still in `examples` unless nothing trained was left). */
  truncatedCount: number;
  /** Examples left out: nothing trained (all labels masked), or the chat template refused them. */
  dropped: BadRow[];
}

/** Examples over the length limit listed in a refusal. */
export const LISTED = 5;
const PROGRESS_EVERY = 256;

/** One example's tokens, or why it is left out: the template refused it, nothing trained, or over the limit. */
export type OneTokenized =
  | { kind: 'ok'; example: TokenizedExample }
  | { kind: 'dropped'; row: BadRow; truncated?: boolean }
  | { kind: 'too-long'; line: number | undefined; length: number };

/** Tokenizes one example (the streamed pipeline's unit; `tokenizeExamples` is this over a list). */
export function tokenizeExample(example: Example, options: TokenizeOptions, index = 0): OneTokenized {
  const { seqLen } = options;
  const line = example.line ?? index + 1;
  let tokens: { ids: number[]; trained: Uint8Array };
  try {
    tokens = example.kind === 'chat' ? tokenizeChat(example.messages, options) : tokenizeText(example.text, options.tokenizer);
  } catch (e) {
    if (!(e instanceof ChatTemplateError)) throw e;
    return { kind: 'dropped', row: { line, reason: e.message } };
  }
  let { ids, trained } = tokens;
  const fullLength = ids.length;
  if (fullLength > seqLen) {
    if (options.overLength === 'refuse') return { kind: 'too-long', line: example.line, length: fullLength };
    ids = ids.slice(0, seqLen);
    trained = trained.slice(0, seqLen);
  }
  trained[0] = 0;
  let trainedCount = 0;
  for (let i = 0; i < trained.length; i++) trainedCount += trained[i];
  if (trainedCount === 0) {
    const why = fullLength > seqLen
      ? `every trained token is past the sequence length (${fullLength} tokens, limit ${seqLen}): nothing left to learn`
      : 'no trained tokens: every label is masked';
    return { kind: 'dropped', row: { line, reason: why }, truncated: fullLength > seqLen };
  }
  const tokenized: TokenizedExample = {
    ids: Uint32Array.from(ids),
    trained,
    trainedCount,
    key: contentKey(example),
    line: example.line,
  };
  if (fullLength > seqLen) tokenized.truncatedFrom = fullLength;
  return { kind: 'ok', example: tokenized };
}

/** The refusal of examples over the sequence length, listing the first few. */
export function tooLongError(
  file: string,
  seqLen: number,
  count: number,
  listedRows: readonly { line: number | undefined; length: number }[],
): DatasetError {
  const listed = listedRows.map((t) => `${t.line === undefined ? 'an example' : `line ${t.line}`}: ${t.length} tokens`);
  const more = count > listed.length ? `; and ${count - listed.length} more` : '';
  return new DatasetError(
    file,
    `${count} example${count === 1 ? ' is' : 's are'} longer than the sequence length of ${seqLen} ` +
      `tokens (${listed.join('; ')}${more}); raise the sequence length or allow truncation`,
  );
}

export function checkSeqLen(file: string, seqLen: number): void {
  if (!Number.isInteger(seqLen) || seqLen < 2) {
    throw new DatasetError(file, `the sequence length must be an integer ≥ 2 tokens, got ${seqLen}`);
  }
}

export function tokenizeExamples(examples: readonly Example[], options: TokenizeOptions): TokenizeResult {
  const file = options.file ?? 'dataset';
  checkSeqLen(file, options.seqLen);
  if (examples.length === 0) throw new DatasetError(file, 'the dataset is empty: no examples');
  const out: TokenizedExample[] = [];
  const dropped: BadRow[] = [];
  const tooLong: { line: number | undefined; length: number }[] = [];
  let tooLongCount = 0;
  let truncatedCount = 0;
  examples.forEach((example, index) => {
    if (options.onProgress && index % PROGRESS_EVERY === 0 && index > 0) options.onProgress(index, examples.length);
    const result = tokenizeExample(example, options, index);
    if (result.kind === 'dropped') {
      dropped.push(result.row);
      if (result.truncated) truncatedCount++;
    }
    else if (result.kind === 'too-long') {
      tooLongCount++;
      if (tooLong.length < LISTED) tooLong.push({ line: result.line, length: result.length });
    } else {
      if (result.example.truncatedFrom !== undefined) truncatedCount++;
      out.push(result.example);
    }
  });
  options.onProgress?.(examples.length, examples.length);
  if (tooLongCount > 0) throw tooLongError(file, options.seqLen, tooLongCount, tooLong);
  if (out.length === 0) throw nothingTrainedError(file, examples.length, dropped);
  return { examples: out, truncatedCount, dropped };
}

/** The refusal of a set where no example has a trained token. */
export function nothingTrainedError(file: string, count: number, dropped: readonly BadRow[]): DatasetError {
  return new DatasetError(
    file,
    `no example has a trained token: all ${count} were dropped; first: ${formatBadRow(dropped[0])}`,
    dropped,
  );
}

function tokenizeChat(
  messages: readonly { role: string; content: string }[],
  options: TokenizeOptions,
): { ids: number[]; trained: Uint8Array } {
  const rendered = renderWithAssistantSpans(options.template, messages);
  const { ids, assistantMask, tokenSpans } = tokenizeConversation(options.tokenizer, rendered);
  const end = tokenSpans.length ? Math.max(...tokenSpans.map((s) => s.end)) : ids.length;
  const trained = options.trainOnInputs ? new Uint8Array(end).fill(1) : assistantMask.slice(0, end);
  return { ids: ids.slice(0, end), trained };
}

function tokenizeText(text: string, tokenizer: Tokenizer): { ids: number[]; trained: Uint8Array } {
  const ids = tokenizer.encode(text, { addBos: tokenizer.addBosByDefault, addEos: false });
  if (tokenizer.eosId !== null) ids.push(tokenizer.eosId);
  return { ids, trained: new Uint8Array(ids.length).fill(1) };
}
