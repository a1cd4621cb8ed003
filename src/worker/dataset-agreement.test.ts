/**
 * The three front ends read a file alike: for CSV, TSV and Parquet files with instruction/input/output columns,
 * and a CSV with its own column names mapped (by --column flags in the CLI, by the mapping in the Datasets view),
 * the CLI's training stream, the Train view's run stream and the Datasets view's summary (and `webtune data`) agree on
 * the examples, the trained tokens and the split. A CSV whose columns cannot be mapped is refused by each, naming
 * its columns. Tokens from stories260K, the model the studio ships.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main';
import { parseDatasetFlags } from '../cli/dataset-flags';
import { DatasetError, parseDatasetBlob } from '../data';
import { openDatasetFile } from '../data/load-node';
import { chatTemplateFor } from '../model/chat';
import { closeModel, type LoadedModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../train/config';
import { openTrainingData } from '../train/session';
import type { DatasetSettings } from './dataset-protocol';
import { runDatasetOf, runSettingsFromDatasets } from './dataset-run';
import { type DataTokenizer, DatasetRequestError, DatasetWorkbench } from './dataset-workbench';
import { trainFailureOf } from './train-failure';

const STORIES = fileURLToPath(new URL('../../public/models/stories260K/stories260K.gguf', import.meta.url));

const ROWS: [string, string, string][] = [
  ['Tell a story about a cat.', '', 'Once upon a time there was a cat. It liked the sun.'],
  ['Add the numbers.', '2 and 3', 'Five.'],
  ['Say hello, politely.', '', 'Hello, how are you today?'],
  ['Write two lines.', 'about the moon', 'The moon is up.\nIt hums goodnight.'],
  ['Name a colour.', '', 'Blue, like the sky.'],
  ['What does Lily like?', 'the park', 'Lily likes to play in the park with her dog.'],
  ['Count to three.', '', 'One, two, three.'],
  ['Finish the story.', 'Tom had a ball', 'Tom had a ball. He played all day and then he slept.'],
];

function delimited(separator: string, header: string[]): string {
  const quote = (cell: string) => (/[",\n\t]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const lines = [header.join(separator), ...ROWS.map((row) => row.map(quote).join(separator))];
  // One ragged record, which every front end lists as the same bad row.
  lines.splice(4, 0, ['only', 'two'].join(separator));
  return `${lines.join('\n')}\n`;
}

async function parquetBytes(): Promise<ArrayBuffer> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  return parquetWriteBuffer({
    columnData: ['instruction', 'input', 'output'].map((name, c) => ({ name, data: ROWS.map((row) => row[c]), type: 'STRING' as const })),
  });
}

const SPLIT = { validationFraction: 0.25, seed: 3 };
const DATASETS: DatasetSettings = { format: 'auto', mapping: {}, onBadRow: 'skip', seqLen: 48, trainOnInputs: false, ...SPLIT };
/** The Train form's own split differs, so a run that used it instead of the Datasets view's would be seen. */
const TRAIN_FORM: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, seqLen: 48, valSplit: 0.05, seed: 0 };

interface Case {
  file: string;
  bytes: () => Promise<string | ArrayBuffer>;
  /** The CLI's dataset flags and the Datasets view's mapping for the same choice. */
  flags: string[];
  mapping: Record<string, string>;
  badRows: number;
}

const CASES: Case[] = [
  { file: 'alpaca.csv', bytes: async () => delimited(',', ['instruction', 'input', 'output']), flags: [], mapping: {}, badRows: 1 },
  { file: 'alpaca.tsv', bytes: async () => delimited('\t', ['instruction', 'input', 'output']), flags: [], mapping: {}, badRows: 1 },
  { file: 'alpaca.parquet', bytes: parquetBytes, flags: [], mapping: {}, badRows: 0 },
  {
    file: 'custom.csv',
    bytes: async () => delimited(',', ['question', 'context', 'answer']),
    flags: ['--column', 'instruction=question', '--column', 'input=context', '--column', 'output=answer'],
    mapping: { instruction: 'question', input: 'context', output: 'answer' },
    badRows: 1,
  },
];

let dir = '';
let model: LoadedModel;
let data: DataTokenizer;
let stdout = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webtune-agree-'));
  model = await loadModelFromPath(STORIES);
  data = {
    tokenizer: model.tokenizer,
    template: chatTemplateFor(model.tokenizer, model.chatTemplate),
    info: { model: 'stories260K', origin: 'bundled', template: 'plain' },
  };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await closeModel(model);
  await rm(dir, { recursive: true, force: true });
});

async function fileOf(name: string, bytes: string | ArrayBuffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof bytes === 'string' ? bytes : new Uint8Array(bytes));
  return path;
}

const trainedTokens = (examples: readonly { trainedCount: number }[]) => examples.reduce((n, e) => n + e.trainedCount, 0);

describe('the CLI, the Train view and the Datasets view read a file alike', () => {
  it.each(CASES)('$file', async ({ file, bytes, flags, mapping, badRows }) => {
    const path = await fileOf(file, await bytes());

    // CLI: `webtune train --data <file> <flags> --seq-len 48 --val-split 0.25 --seed 3` streams the file like this.
    const blob = await openDatasetFile(path);
    const cliRead = { ...DATASETS, ...parseDatasetFlags(valuesOf(flags)) };
    const cli = await openTrainingData(
      model,
      { blob, read: { format: cliRead.format, mapping: cliRead.mapping, onBadRow: cliRead.onBadRow } },
      path,
      { ...TRAIN_FORM, valSplit: SPLIT.validationFraction, seed: SPLIT.seed },
    );

    // Datasets view, and the Train view's run on the file open there (with that view's settings).
    const settings: DatasetSettings = { ...DATASETS, mapping };
    const summary = await new DatasetWorkbench().open(blob, file, settings, () => Promise.resolve(data), () => undefined);
    const run = runDatasetOf(blob, runSettingsFromDatasets(settings));
    const train = await openTrainingData(model, run.dataset, file, TRAIN_FORM, run.split);

    // `webtune data` prints the Datasets view's figures.
    stdout = '';
    const code = await main(['data', path, ...flags, '--model', STORIES, '--seq-len', '48', '--val-split', '0.25', '--seed', '3', '--json']);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as typeof summary;

    expect(summary).toMatchObject({ shape: 'alpaca', examples: ROWS.length, badRowCount: badRows });
    const figures = (f: { examples: number; trainedTokens: number; split: { train: number; validation: number } }) => ({
      examples: f.examples,
      trainedTokens: f.trainedTokens,
      split: f.split,
    });
    const expected = figures(summary);
    expect(figures(printed)).toEqual(expected);
    for (const stream of [cli, train]) {
      const trainSet = stream.wholeTrainSet!;
      expect({
        examples: trainSet.length + stream.validation.length,
        trainedTokens: trainedTokens(trainSet) + trainedTokens(stream.validation),
        split: { train: trainSet.length, validation: stream.validation.length },
      }).toEqual(expected);
      stream.close();
    }
    // The same rows, not only as many.
    expect(train.validation.map((e) => e.line)).toEqual(cli.validation.map((e) => e.line));
    expect(train.firstWindow.badRows).toEqual(cli.firstWindow.badRows);
    expect(summary.badRows).toEqual(cli.firstWindow.badRows);
  });
});

describe('a CSV whose columns cannot be mapped is refused by every front end, naming its columns', () => {
  const CSV = 'question,context,answer\nq,c,a\n';
  const named = /"question", "context", "answer"/;

  it('the CLI (data, train and eval)', async () => {
    const path = await fileOf('unmapped.csv', CSV);
    const messages: string[] = [];
    vi.mocked(process.stderr.write).mockImplementation((chunk: string | Uint8Array) => {
      messages.push(String(chunk));
      return true;
    });
    for (const command of [
      ['data', path, '--model', STORIES],
      ['train', '--model', STORIES, '--data', path, '--out', join(dir, 'out')],
      ['eval', '--model', STORIES, '--data', path],
    ]) {
      messages.length = 0;
      expect(await main(command)).toBe(1);
      expect(messages.join('')).toMatch(named);
    }
  });

  it('the Train view, the Datasets view and Compare', async () => {
    const blob = new Blob([CSV]);
    const run = runDatasetOf(blob, runSettingsFromDatasets(DATASETS));
    const refusal = await openTrainingData(model, run.dataset, 'unmapped.csv', TRAIN_FORM, run.split).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DatasetError);
    expect(trainFailureOf(refusal, null)).toMatchObject({ kind: 'data', message: expect.stringMatching(named) });

    const failure = await new DatasetWorkbench().open(blob, 'unmapped.csv', DATASETS, () => Promise.resolve(data), () => undefined).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatasetRequestError);
    expect((failure as DatasetRequestError).failure).toMatchObject({ columns: ['question', 'context', 'answer'], message: expect.stringMatching(named) });

    // Compare's evaluation reads its file with the same call (compare-requests.ts), its shape from its settings.
    await expect(parseDatasetBlob(blob, { file: 'unmapped.csv', format: 'auto', onBadRow: 'skip' })).rejects.toThrow(named);
  });
});

/** The dataset flags as parseArgs gives them. */
function valuesOf(flags: string[]): { column?: string[] } {
  const column: string[] = [];
  for (let i = 0; i < flags.length; i += 2) if (flags[i] === '--column') column.push(flags[i + 1]);
  return column.length ? { column } : {};
}
