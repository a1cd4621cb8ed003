/**
 * Measures the Datasets view's worker code on a large file in Node (the same DatasetWorkbench the engine worker
 * runs, with the bundled stories260K tokenizer): time per phase and the peak JS heap. By hand, not in any test:
 *
 *   npx tsx e2e/support/dataset-large.ts /tmp/big.jsonl 1024
 *   npx tsx e2e/support/dataset-measure.ts /tmp/big.jsonl
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { chatTemplateFor } from '../../src/model/chat';
import { createGgufTokenizer } from '../../src/model/tokenizer';
import { ggufTokenizerSource, STORIES_GGUF } from '../../src/model/tokenizer/testing/fixtures';
import type { DatasetProgress } from '../../src/worker/dataset-protocol';
import { DatasetWorkbench } from '../../src/worker/dataset-workbench';

const path = process.argv[2];
if (!path) {
  console.error('usage: npx tsx e2e/support/dataset-measure.ts <file>');
  process.exit(2);
}
const tokenizer = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
const data = { tokenizer, template: chatTemplateFor(tokenizer, null), info: { model: 'stories260K', origin: 'bundled' as const, template: 'plain' as const } };
const blob = await openAsBlob(path);
let peakHeap = 0;
const phases = new Map<string, number>();
const started = performance.now();
let events = 0;
const summary = await new DatasetWorkbench().open(
  blob,
  basename(path),
  { format: 'auto', mapping: {}, onBadRow: 'skip', seqLen: 256, trainOnInputs: false, validationFraction: 0.1, seed: 42 },
  () => Promise.resolve(data),
  (progress: DatasetProgress) => {
    events++;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    phases.set(progress.phase, performance.now() - started);
  },
);
const total = performance.now() - started;
const { preview, histogram, badRows, dropped, ...figures } = summary;
console.log(
  JSON.stringify(
    {
      ...figures,
      badRowsListed: badRows.length,
      firstBadRows: badRows.slice(0, 3),
      seconds: { readingEndsAt: (phases.get('reading') ?? 0) / 1000, total: total / 1000 },
      progressEvents: events,
      peakHeapMB: Math.round(peakHeap / 1e6),
      heapAfterMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    },
    null,
    1,
  ),
);
