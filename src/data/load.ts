/**
 * Reading a dataset from what the studio has: a browser `File` (or any `Blob`), streamed so a large file is never
 * one string. Node callers use `load-node.ts`, which streams from a path.
 */
import { parseDataset, type ParseOptions, type ParseResult } from './parse/parse';

/** A File's name (when it has one) names the file in every message and picks the container by extension. */
export function parseDatasetBlob(blob: Blob & { name?: string }, options: ParseOptions = {}): Promise<ParseResult> {
  const file = options.file ?? blob.name ?? 'dataset';
  return parseDataset(blob.stream(), { ...options, file });
}
