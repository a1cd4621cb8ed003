/**
 * Opening a dataset file from disk in Node (the CLI, tests): the path becomes a Blob read lazily from disk
 * (`openAsBlob`, so a large file is streamed and Parquet read by ranges), then the one reader (read.ts).
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ParseOptions, ParseResult } from './parse/parse';
import { parseDatasetBlob } from './read';
import { DatasetError } from './types';

/** The file at `path` as a Blob, or a DatasetError naming it (`file`) when it is missing, a folder or unreadable. */
export async function openDatasetFile(path: string, file = path): Promise<Blob> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new DatasetError(file, 'is a folder, not a dataset file');
    return await openAsBlob(path);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(e as Error).message})`);
  }
}

export async function parseDatasetFile(path: string, options: ParseOptions = {}): Promise<ParseResult> {
  const file = options.file ?? path;
  return parseDatasetBlob(await openDatasetFile(path, file), { ...options, file });
}
