import { describe, expect, it } from 'vitest';
import type { GenerateSettings } from '../../worker/protocol';
import { columnFinished, waitingColumns } from './column-views';
import { evaluationOf, recordOfRun, withEvaluation } from './history-record';

const settings: GenerateSettings = {
  prompt: 'Once',
  chat: false,
  maxTokens: 4,
  sampling: { greedy: true, temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1, seed: 0 },
};
const columns = [
  { adapterId: null, label: 'Base: s' },
  { adapterId: 'a', label: 'moon' },
];
const done = (text: string, stopReason: 'max-tokens' | 'aborted' = 'max-tokens') =>
  ({ status: 'done', outcome: { text, tokens: 4, promptTokens: 2, stopReason, prefillTokensPerSecond: 1, decodeTokensPerSecond: 2, milliseconds: 3 }, pass: { kind: 'batched', columns: 2, slotBytes: 4096 } }) as const;

describe('history records', () => {
  it('keeps a finished comparison with every column', () => {
    let views = waitingColumns(columns);
    views = columnFinished(views, 0, done(' upon'));
    views = columnFinished(views, 1, done(' Hush'));
    const record = recordOfRun('c1', 42, 's.gguf', settings, views);
    expect(record).toMatchObject({ id: 'c1', createdAt: 42, model: 's.gguf', settings, evaluation: null });
    expect(record!.columns.map((c) => [c.label, c.adapterId, c.text, c.tokensPerSecond])).toEqual([
      ['Base: s', null, ' upon', 2],
      ['moon', 'a', ' Hush', 2],
    ]);
  });

  it('keeps nothing of a stopped comparison', () => {
    let views = waitingColumns(columns);
    views = columnFinished(views, 0, done(' up', 'aborted'));
    expect(recordOfRun('c', 1, 's', settings, views)).toBeNull();
    views = columnFinished(views, 0, done(' upon'));
    views = columnFinished(views, 1, { status: 'skipped' });
    expect(recordOfRun('c', 1, 's', settings, views)).toBeNull();
  });

  it('adds an evaluation only to the comparison of the same columns', () => {
    let views = waitingColumns(columns);
    views = columnFinished(columnFinished(views, 0, done(' a')), 1, done(' b'));
    const record = recordOfRun('c', 1, 's', settings, views)!;
    const summary = {
      dataset: 'moon-stories.jsonl',
      examples: 40,
      truncated: 0,
      results: [
        { meanLoss: 2, perplexity: Math.exp(2), trainedTokens: 10 },
        { meanLoss: 3, perplexity: Math.exp(3), trainedTokens: 10 },
      ],
    };
    const evaluation = evaluationOf(summary, columns, 128);
    expect(evaluation.rows.map((r) => [r.label, r.meanLoss])).toEqual([
      ['Base: s', 2],
      ['moon', 3],
    ]);
    expect(withEvaluation(record, columns, evaluation)?.evaluation).toEqual(evaluation);
    expect(withEvaluation(record, [columns[0]], evaluation)).toBeNull();
    expect(withEvaluation(record, [columns[0], { adapterId: 'other', label: 'moon' }], evaluation)).toBeNull();
  });
});
