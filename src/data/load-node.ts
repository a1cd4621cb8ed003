/** Reading a dataset file from disk in Node (the CLI, tests), streamed in 64 KiB chunks. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseDataset, type ParseOptions, type ParseResult } from './parse/parse';
import { DatasetError } from './types';

export async function parseDatasetFile(path: string, options: ParseOptions = {}): Promise<ParseResult> {
  const file = options.file ?? path;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new DatasetError(file, 'is a folder, not a dataset file');
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(e as Error).message})`);
  }
  return parseDataset(createReadStream(path) as AsyncIterable<Uint8Array>, { ...options, file });
}
