/**
 * Which container a dataset file is, from its name: the one rule every front end (CLI, Datasets view, Train view,
 * Compare) reads files by. A name without an extension is decided by the file's first character instead (see
 * `DatasetParser`), as is a ".json" file, since many ".json" exports (pandas, datasets' to_json) are JSON Lines.
 */
import { type DatasetContainer, DatasetError } from '../types';

/** The extensions the studio's pickers offer. */
export const DATASET_EXTENSIONS = ['.jsonl', '.json', '.csv', '.tsv', '.parquet', '.txt'] as const;

const BY_EXTENSION: Readonly<Record<string, DatasetContainer>> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  csv: 'csv',
  tsv: 'tsv',
  parquet: 'parquet',
  txt: 'txt',
  text: 'txt',
  md: 'txt',
};

/** The container the name says; null when it has no extension; an extension of no supported type is refused. */
export function containerOf(file: string): DatasetContainer | null {
  const base = file.split(/[\\/]/).at(-1) ?? file;
  const extension = /\.([a-z0-9]+)$/i.exec(base)?.[1]?.toLowerCase();
  if (extension === undefined) return null;
  const container = Object.hasOwn(BY_EXTENSION, extension) ? BY_EXTENSION[extension] : undefined;
  if (!container) {
    throw new DatasetError(file, `unsupported file type ".${extension}"; expected ${DATASET_EXTENSIONS.join(', ')}`);
  }
  return container;
}

/** A text file's container once its first non-blank character is known. */
export function sniffContainer(named: DatasetContainer | null, firstChar: string): DatasetContainer {
  if (named === 'json') return firstChar === '[' ? 'json' : 'jsonl';
  if (named) return named;
  return firstChar === '[' ? 'json' : firstChar === '{' ? 'jsonl' : 'txt';
}
