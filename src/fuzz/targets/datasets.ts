/**
 * The dataset reader in each of its six containers, as the Datasets view reads a dropped file (`parseDatasetBlob`,
 * the file's extension picking the container). Seeds are rows of the sample dataset written in that container,
 * in more than one shape (prompt/completion, chat messages, Alpaca, text).
 */
import { readFile } from 'node:fs/promises';
import { parseDatasetBlob } from '../../data/read';
import { DatasetError } from '../../data/types';
import type { DataRng } from '../../data/rng';
import { parquetLayout, TEXT_LAYOUT } from '../fields';
import { generateDelimited, generateJson, generateParquet, generateText } from '../generate';
import { type FuzzSeed, type FuzzTarget, typedBy } from './target';

const SAMPLE = new URL('../../../public/datasets/moon-stories.jsonl', import.meta.url);
const ROWS = 16;

interface Row {
  prompt: string;
  completion: string;
}

async function sampleRows(): Promise<Row[]> {
  const text = await readFile(SAMPLE, 'utf8');
  return text.split('\n').filter(Boolean).slice(0, ROWS).map((line) => JSON.parse(line) as Row);
}

const encode = (s: string) => new TextEncoder().encode(s);
const quoted = (s: string) => `"${s.replaceAll('"', '""')}"`;
const asChat = (r: Row) => ({ messages: [{ role: 'user', content: r.prompt }, { role: 'assistant', content: r.completion }] });
const asAlpaca = (r: Row) => ({ instruction: r.prompt, input: '', output: r.completion });

function textSeeds(files: [string, string][]): FuzzSeed[] {
  return files.map(([name, text]) => ({ name, bytes: encode(text), layout: TEXT_LAYOUT }));
}

function datasetTarget(extension: string, seeds: (rows: Row[]) => Promise<FuzzSeed[]>, generate: (rng: DataRng) => Uint8Array | Promise<Uint8Array>): FuzzTarget {
  return {
    name: extension,
    seeds: async () => seeds(await sampleRows()),
    generate,
    async read(bytes) {
      await parseDatasetBlob(new Blob([bytes as Uint8Array<ArrayBuffer>]), { file: `fuzz.${extension}` });
    },
    typed: typedBy(DatasetError),
  };
}

export const jsonlTarget = datasetTarget(
  'jsonl',
  async (rows) =>
    textSeeds([
      ['prompt/completion', rows.map((r) => JSON.stringify(r)).join('\n')],
      ['chat messages', rows.map((r) => JSON.stringify(asChat(r))).join('\r\n')],
    ]),
  (rng) => generateJson(rng, true),
);

export const jsonTarget = datasetTarget(
  'json',
  async (rows) =>
    textSeeds([
      ['alpaca array', JSON.stringify(rows.map(asAlpaca), null, 1)],
      ['chat array', JSON.stringify(rows.map(asChat))],
    ]),
  (rng) => generateJson(rng, false),
);

function delimited(rows: Row[], d: string): string {
  return ['prompt' + d + 'completion', ...rows.map((r) => quoted(r.prompt) + d + quoted(r.completion))].join('\n');
}

export const csvTarget = datasetTarget(
  'csv',
  async (rows) =>
    textSeeds([
      ['prompt,completion', delimited(rows, ',')],
      ['instruction,input,output', ['instruction,input,output', ...rows.map((r) => `${quoted(r.prompt)},,${quoted(`${r.completion}\nThe end.`)}`)].join('\r\n')],
    ]),
  (rng) => generateDelimited(rng, ','),
);

export const tsvTarget = datasetTarget(
  'tsv',
  async (rows) => textSeeds([['prompt\tcompletion', delimited(rows, '\t')], ['text', ['text', ...rows.map((r) => r.completion)].join('\n')]]),
  (rng) => generateDelimited(rng, '\t'),
);

export const txtTarget = datasetTarget(
  'txt',
  async (rows) => textSeeds([['paragraphs', rows.map((r) => `${r.prompt}\n${r.completion}`).join('\n\n')]]),
  generateText,
);

export const parquetTarget = datasetTarget(
  'parquet',
  async (rows) => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const file = (columnData: Parameters<typeof parquetWriteBuffer>[0]['columnData']) => new Uint8Array(parquetWriteBuffer({ columnData }));
    const pc = file([
      { name: 'prompt', data: rows.map((r) => r.prompt), type: 'STRING' },
      { name: 'completion', data: rows.map((r) => r.completion), type: 'STRING' },
    ]);
    const text = file([{ name: 'text', data: rows.map((r) => `${r.prompt} ${r.completion}`), type: 'STRING' }]);
    return [
      { name: 'prompt/completion', bytes: pc, layout: parquetLayout(pc) },
      { name: 'text', bytes: text, layout: parquetLayout(text) },
    ];
  },
  generateParquet,
);
