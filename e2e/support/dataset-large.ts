/**
 * A large JSON Lines dataset written at test time (never committed): the shipped sample's prompt/completion rows
 * repeated with their line number woven in, every 50th completion long (about 6× a story, so a 256-token context
 * cuts it), and bad rows at fixed places (invalid JSON, and a row without its completion) so tests know exactly
 * which lines must be reported. Used by e2e/datasets-large.spec.ts and, by hand, to measure a 1 GB file:
 *
 *   npx tsx e2e/support/dataset-large.ts /tmp/big.jsonl 1024     # size in MiB
 */
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const SAMPLE = resolve('public/datasets/moon-stories.jsonl');

/** Every this many lines, one long example; every `BAD_EVERY` lines, a bad row (two kinds, alternating). */
export const LONG_EVERY = 50;
export const BAD_EVERY = 20_000;

export interface LargeDataset {
  path: string;
  bytes: number;
  /** Lines written (every line is a row: no blank lines). */
  rows: number;
  /** 1-based lines of the bad rows, in order, with the reason the parser gives. */
  badLines: number[];
}

/** Whether line `n` (1-based) is a bad row, and which kind. */
export function badKindOf(line: number): 'json' | 'missing' | null {
  if (line % BAD_EVERY !== 0) return null;
  return (line / BAD_EVERY) % 2 === 1 ? 'json' : 'missing';
}

function rowText(line: number, sample: readonly { prompt: string; completion: string }[]): string {
  const bad = badKindOf(line);
  const { prompt, completion } = sample[(line - 1) % sample.length];
  if (bad === 'json') return `{"prompt": "Row ${line} is cut short`;
  if (bad === 'missing') return JSON.stringify({ prompt: `${prompt} (row ${line})` });
  const answer = line % LONG_EVERY === 0 ? Array.from({ length: 6 }, () => completion).join(' ') : completion;
  return JSON.stringify({ prompt: `${prompt} (row ${line})`, completion: answer });
}

/** Writes at least `targetBytes` bytes of whole rows to `path`. */
export async function writeLargeDataset(path: string, targetBytes: number): Promise<LargeDataset> {
  const sample = readFileSync(SAMPLE, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { prompt: string; completion: string });
  const out = createWriteStream(path);
  let bytes = 0;
  let rows = 0;
  const badLines: number[] = [];
  const batch: string[] = [];
  while (bytes < targetBytes) {
    rows++;
    const text = `${rowText(rows, sample)}\n`;
    bytes += Buffer.byteLength(text);
    if (badKindOf(rows)) badLines.push(rows);
    batch.push(text);
    if (batch.length === 4096 || bytes >= targetBytes) {
      if (!out.write(batch.join(''))) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
  return { path, bytes, rows, badLines };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve('e2e/support/dataset-large.ts')) {
  const [path, mib] = process.argv.slice(2);
  if (!path || !mib) {
    console.error('usage: npx tsx e2e/support/dataset-large.ts <out.jsonl> <MiB>');
    process.exit(2);
  }
  const made = await writeLargeDataset(path, Number(mib) * 1024 * 1024);
  console.log(JSON.stringify({ ...made, badLines: made.badLines.length }));
}
