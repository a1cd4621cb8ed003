/**
 * The compression table of stories260K (bench:compression), as Compare shows it: `webtune train` fine-tunes it on
 * the moon stories (40 steps, a real run), then every GGUF type of the base and of the base with that adapter merged
 * is exported, read back and measured — file size, ratio to 16-bit, decode tokens/s (median of 3), FLOPs per token,
 * validation loss and perplexity on the sample's 10% validation split. Prints a Markdown table and writes
 * bench/results/compression.json (or the path in BENCH_RESULTS).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fitAnyAdapter } from '../src/adapters/import';
import { loadAdapterFromPath } from '../src/adapters/load-node';
import { parseDatasetFile } from '../src/data/load-node';
import { prepareDataset } from '../src/data/prepare';
import { compressionTable, type CompressionRow } from '../src/export/compression';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeDevice } from '../src/gpu/device-node';
import { chatTemplateFor } from '../src/model/chat';
import { closeModel } from '../src/model/load';
import { loadModelFromPath } from '../src/model/load-node';
import { evaluationBatches } from '../src/train/evaluate';
import { median } from './timing';

const MODEL = 'public/models/stories260K/stories260K.gguf';
const DATA = 'public/datasets/moon-stories.jsonl';
/** Where the results go; BENCH_RESULTS (a path) writes them elsewhere. */
const RESULTS = process.env.BENCH_RESULTS
  ? new URL(process.env.BENCH_RESULTS, `file://${process.cwd()}/`)
  : new URL('./results/compression.json', import.meta.url);
const RUNS = 3;

const dir = await mkdtemp(join(tmpdir(), 'webtune-compression-'));
await promisify(execFile)('node', ['bin/webtune.mjs', 'train', '--model', MODEL, '--data', DATA, '--out', join(dir, 'moon'), '--steps', '40', '--seq-len', '128', '--lr', '3e-3', '--val-split', '0.1', '--seed', '0']);
const base = await loadModelFromPath(MODEL);
const adapter = fitAnyAdapter((await loadAdapterFromPath(join(dir, 'moon'))).adapter, base.config, base.name);
const prepared = prepareDataset(await parseDatasetFile(DATA), {
  tokenizer: base.tokenizer,
  template: chatTemplateFor(base.tokenizer, base.chatTemplate),
  seqLen: 128,
  trainOnInputs: false,
  validationFraction: 0.1,
  seed: 0,
  file: DATA,
});
const { batches, maxTokens } = evaluationBatches(prepared.validation, 8, 128, null);
const ctx = GpuContext.fromAcquired(await acquireNodeDevice());
const runs: CompressionRow[][] = [];
for (let r = 0; r < RUNS; r++) runs.push((await compressionTable({ ctx, base, adapter, batches, maxTokens }))!);
const rows = runs[0].map((row, i) => ({ ...row, tokensPerSecond: median(runs.map((run) => run[i].tokensPerSecond)) }));
ctx.destroy();
await closeModel(base);
await rm(dir, { recursive: true, force: true });

const mib = (b: number) => (b / 2 ** 20).toFixed(3);
console.log(`stories260K + moon LoRA (40 steps): ${prepared.validation.length} validation examples, decode tokens/s median of ${RUNS}\n`);
console.log('| variant | file MiB | vs 16-bit | tokens/s | FLOPs/token | val loss | perplexity |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.merged ? 'merged' : 'base'} ${r.type.toUpperCase()}${r.notes.length ? ' *' : ''} | ${mib(r.bytes)} | ${r.ratio.toFixed(2)}× | ${r.tokensPerSecond.toFixed(1)} | ${(r.flopsPerToken / 1e6).toFixed(3)} M | ${r.meanLoss.toFixed(4)} | ${r.perplexity.toFixed(3)} |`,
  );
}
await mkdir(new URL('.', RESULTS), { recursive: true });
await writeFile(RESULTS, `${JSON.stringify({ model: 'stories260K', adapter: 'moon LoRA, 40 steps', validationExamples: prepared.validation.length, runs: RUNS, rows }, null, 2)}\n`);
