/**
 * Data pipeline benchmark (issue 11, item 6): how fast a training run's data is read and tokenized, and how much
 * JS heap it takes, before (the whole file parsed and tokenized in memory, chat rows by the prefix span method)
 * and now (StreamedDataset: the file streamed window by window, a chat row encoded once). Prints a table and
 * writes bench/results/data.json. Every dataset is written at bench time into a temporary folder and deleted.
 *
 *  1. 50,000 chat rows (bench/data-chat-corpus.ts), SmolLM2's tokenizer and chat template, seqLen 2048:
 *     (a) before: parse + tokenize (prefix spans) + split + one epoch of batches;
 *     (b) now: StreamedDataset.open + next() for one full pass;
 *     (c) now, tokenizing alone: `tokenizeExamples` over the rows already parsed in memory.
 *  2. A large JSONL file (e2e/support/dataset-large.ts; WEBTUNE_BENCH_DATA_MIB, default 1024) with stories260K's
 *     tokenizer, the default template, seqLen 256: the streamed pipeline over one full pass, with its time to the
 *     first batch. The old path took ~43 min and 2.3 GB of heap on 1 GiB, so it is run on a slice
 *     (WEBTUNE_BENCH_DATA_OLD_MIB, default 64: the same generator's first rows) next to the streamed one on it.
 *  3. `--train` (a separate mode, bench/data-train.ts): the real `webtune train` CLI on the large file.
 *
 * Rows/s count every row of the file (bad rows too) over the wall time of a full pass; tokens/s the tokens of the
 * examples made (after truncation) over the same time. The streamed pass does not tokenize the held-out rows of
 * windows after the first (they are never used), the old path tokenizes every row: the token counts say so.
 * Heap: bench/heap-sampler.ts (peak heapUsed, sampled, above a post-GC baseline). Run with --expose-gc (the npm
 * script does) so baselines are clean.
 *
 * Run: npm run bench:data [-- --train]. WEBTUNE_BENCH_DATA_ROWS (default 50000), WEBTUNE_BENCH_DATA_REPS (runs of
 * each chat case, default 1; the median is reported), BENCH_ONLY=chat|large to run one part, BENCH_RESULTS another
 * output path. The results file keeps the parts a run did not measure.
 */
import { existsSync, openAsBlob, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLargeDataset } from '../e2e/support/dataset-large';
import { parseDatasetBlob } from '../src/data/read';
import { type DataProgress, StreamedDataset } from '../src/data/stream/streamed-dataset';
import { tokenizeExamples, type TokenizeOptions } from '../src/data/tokenize';
import { DEFAULT_READ_SETTINGS } from '../src/data/types';
import { chatTemplateFor } from '../src/model/chat';
import { SMOLLM2_TOKENIZER_CONFIG } from '../src/model/chat/testing/smollm2-config';
import { createGgufTokenizer, fromTokenizerJson, parseTokenizerConfig } from '../src/model/tokenizer';
import { ggufTokenizerSource, readText, SMOLLM2, STORIES_GGUF } from '../src/model/tokenizer/testing/fixtures';
import { DEFAULT_TRAINING_CONFIG } from '../src/train/config';
import { corpusVocabulary, writeChatCorpus } from './data-chat-corpus';
import { runBefore, type SpanTokenizer } from './data-before';
import { runTrainBench, type TrainFigures } from './data-train';
import { HAS_GC, type HeapFigures, HeapSampler } from './heap-sampler';
import { median } from './timing';

const RESULTS = process.env.BENCH_RESULTS
  ? new URL(process.env.BENCH_RESULTS, `file://${process.cwd()}/`)
  : new URL('./results/data.json', import.meta.url);
const SAMPLE = fileURLToPath(new URL('../public/datasets/moon-stories.jsonl', import.meta.url));
/** The prefix span method, as src/model/chat/testing keeps it for tests: "before". */
const REFERENCE = new URL('../src/model/chat/testing/prefix-spans.ts', import.meta.url);
const REFERENCE_EXPORT = 'tokenizeConversationByPrefixes';

const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}='${v}' is not a positive whole number`);
  return n;
};

const CHAT_ROWS = envInt('WEBTUNE_BENCH_DATA_ROWS', 50_000);
const REPS = envInt('WEBTUNE_BENCH_DATA_REPS', 1);
const LARGE_MIB = envInt('WEBTUNE_BENCH_DATA_MIB', 1024);
const OLD_MIB = envInt('WEBTUNE_BENCH_DATA_OLD_MIB', 64);
const ONLY = process.env.BENCH_ONLY ?? '';
const CHAT_SEQ_LEN = 2048;
const LARGE_SEQ_LEN = 256;
const MICRO_BATCH = 4;
/** The CLI's defaults, so the streamed cases see what a run sees. */
const SPLIT = { validationFraction: DEFAULT_TRAINING_CONFIG.valSplit, seed: DEFAULT_TRAINING_CONFIG.seed };
const SEED = DEFAULT_TRAINING_CONFIG.seed;
const WINDOW_ROWS = DEFAULT_TRAINING_CONFIG.shuffleWindow;

/** One measured case: a full pass over a file (or over rows in memory). */
export interface CaseRow {
  part: 'chat' | 'large';
  case: string;
  label: string;
  data: string;
  bytes: number;
  rows: number;
  rowsTokenized: number;
  tokens: number;
  batches: number;
  seconds: number;
  runsSeconds: number[];
  rowsPerSecond: number;
  tokensPerSecond: number;
  /** Streamed cases: open + first next(), s. */
  firstBatchSeconds: number | null;
  heap: HeapFigures;
}

interface PassFigures {
  rows: number;
  rowsTokenized: number;
  tokens: number;
  batches: number;
  firstBatchMs: number | null;
}

const mb = (bytes: number) => bytes / 2 ** 20;

function machine() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage1m: +loadavg()[0].toFixed(2),
  };
}

async function loadReference(): Promise<SpanTokenizer> {
  if (!existsSync(REFERENCE)) {
    throw new Error(
      `${fileURLToPath(REFERENCE)} is missing: "before" needs the prefix span method kept there as a test reference`,
    );
  }
  const module = (await import(REFERENCE.href)) as Record<string, unknown>;
  const fn = module[REFERENCE_EXPORT];
  if (typeof fn !== 'function') {
    throw new Error(`${fileURLToPath(REFERENCE)} has no function ${REFERENCE_EXPORT} (exports: ${Object.keys(module).join(', ')})`);
  }
  return fn as SpanTokenizer;
}

/** Times `run` with the heap sampled; the sampler's `sample` is passed in for synchronous loops. */
async function measured<T>(run: (sample: () => void) => Promise<T>): Promise<{ value: T; ms: number; heap: HeapFigures }> {
  const sampler = new HeapSampler();
  sampler.start();
  const t0 = performance.now();
  const value = await run(sampler.sample);
  const ms = performance.now() - t0;
  return { value, ms, heap: sampler.stop() };
}

/** StreamedDataset over one full pass: next() until the pass has ended and its last batch is taken. */
async function streamedPass(path: string, file: string, tokenize: Omit<TokenizeOptions, 'file' | 'onProgress'>, seqLen: number, sample: () => void): Promise<PassFigures> {
  const t0 = performance.now();
  let last: DataProgress | null = null;
  const stream = await StreamedDataset.open(await openAsBlob(path), {
    file,
    read: DEFAULT_READ_SETTINGS,
    tokenize,
    split: SPLIT,
    batch: { microBatchSize: MICRO_BATCH, seqLen, packing: false },
    seed: SEED,
    windowRows: WINDOW_ROWS,
    onProgress: (p) => {
      last = p;
      sample();
    },
  });
  let batches = 0;
  let firstBatchMs: number | null = null;
  try {
    do {
      await stream.next();
      batches++;
      firstBatchMs ??= performance.now() - t0;
      if (batches % 64 === 0) sample();
    } while (stream.epochEstimated || batches < stream.batchesPerEpoch);
  } finally {
    stream.close();
  }
  const p = last as DataProgress | null;
  if (!p) throw new Error(`${file}: the stream never reported progress`);
  return { rows: p.rowsRead, rowsTokenized: p.rowsTokenized, tokens: p.tokens, batches, firstBatchMs };
}

function caseRow(part: CaseRow['part'], name: string, label: string, data: string, bytes: number, runs: { value: PassFigures; ms: number; heap: HeapFigures }[]): CaseRow {
  const seconds = median(runs.map((r) => r.ms)) / 1000;
  const { value } = runs[0];
  const firsts = runs.map((r) => r.value.firstBatchMs).filter((x): x is number => x !== null);
  const worstHeap = runs.reduce((a, b) => (b.heap.peakAboveBaselineBytes > a.heap.peakAboveBaselineBytes ? b : a)).heap;
  return {
    part,
    case: name,
    label,
    data,
    bytes,
    rows: value.rows,
    rowsTokenized: value.rowsTokenized,
    tokens: value.tokens,
    batches: value.batches,
    seconds,
    runsSeconds: runs.map((r) => r.ms / 1000),
    rowsPerSecond: value.rows / seconds,
    tokensPerSecond: value.tokens / seconds,
    firstBatchSeconds: firsts.length ? median(firsts) / 1000 : null,
    heap: worstHeap,
  };
}

function log(text: string): void {
  console.log(`[data bench ${new Date().toISOString().slice(11, 19)}] ${text}`);
}

async function chatPart(dir: string, spans: SpanTokenizer): Promise<{ dataset: object; rows: CaseRow[] }> {
  const config = parseTokenizerConfig(SMOLLM2_TOKENIZER_CONFIG);
  const json = readText(`${SMOLLM2}tokenizer.json`);
  const tokenizer = fromTokenizerJson({ tokenizer: json, config });
  const template = chatTemplateFor(tokenizer, config.chatTemplate);
  const tokenize = { tokenizer, template, seqLen: CHAT_SEQ_LEN };
  // "Before" encoded every tokenizer.json through @huggingface/tokenizers; now byte-level BPE runs in src/model.
  const libraryTokenizer = fromTokenizerJson({ tokenizer: json, config, encoder: 'library' });
  const tokenizeBefore = { ...tokenize, tokenizer: libraryTokenizer };
  const path = join(dir, 'chat-50k.jsonl');
  const file = 'chat-50k.jsonl';
  const corpus = await writeChatCorpus(path, CHAT_ROWS, corpusVocabulary(SAMPLE, `${SMOLLM2}tokenizer.json`));
  log(`chat set: ${corpus.rows} rows, ${mb(corpus.bytes).toFixed(1)} MiB, ${corpus.withSystem} with a system message, ${corpus.multiTurn} multi-turn, vocabulary ${corpus.vocabulary} words`);
  const data = `${CHAT_ROWS} chat rows, SmolLM2`;
  const before: { value: PassFigures; ms: number; heap: HeapFigures }[] = [];
  const streamed: typeof before = [];
  const inMemory: typeof before = [];
  for (let rep = 0; rep < REPS; rep++) {
    const a = await measured(async (sample) => {
      const r = await runBefore(await openAsBlob(path), { file, read: DEFAULT_READ_SETTINGS, tokenize: tokenizeBefore, split: SPLIT, batch: { microBatchSize: MICRO_BATCH, seqLen: CHAT_SEQ_LEN, packing: false }, seed: SEED, spans, sample });
      return { rows: r.rows, rowsTokenized: r.examples, tokens: r.tokens, batches: r.batches, firstBatchMs: null };
    });
    before.push(a);
    log(`(a) before, run ${rep + 1}: ${(a.ms / 1000).toFixed(1)} s`);
    const b = await measured((sample) => streamedPass(path, file, tokenize, CHAT_SEQ_LEN, sample));
    streamed.push(b);
    log(`(b) streamed, run ${rep + 1}: ${(b.ms / 1000).toFixed(1)} s`);
    // (c): the rows parsed before the clock starts; the sampler's baseline then includes them.
    let parsed: Awaited<ReturnType<typeof parseDatasetBlob>> | null = await parseDatasetBlob(await openAsBlob(path), { file });
    const rows = parsed.rows;
    const examples = parsed.examples;
    parsed = null;
    const c = await measured(async (sample) => {
      const r = tokenizeExamples(examples, { ...tokenize, file, onProgress: sample });
      let tokens = 0;
      for (const e of r.examples) tokens += e.ids.length;
      return { rows, rowsTokenized: examples.length, tokens, batches: 0, firstBatchMs: null };
    });
    inMemory.push(c);
    log(`(c) tokenizeExamples in memory, run ${rep + 1}: ${(c.ms / 1000).toFixed(1)} s`);
  }
  return {
    dataset: { ...corpus, path: undefined, seqLen: CHAT_SEQ_LEN, microBatchSize: MICRO_BATCH, tokenizer: 'SmolLM2-135M-Instruct tokenizer.json, its chat template (smollm2-config.ts)' },
    rows: [
      caseRow('chat', 'a', 'before: parse all + tokenize (prefix spans) + split + batches', data, corpus.bytes, before),
      caseRow('chat', 'b', 'now: StreamedDataset, one full pass', data, corpus.bytes, streamed),
      caseRow('chat', 'c', 'now: tokenizeExamples alone, rows in memory', data, corpus.bytes, inMemory),
    ],
  };
}

async function largePart(dir: string, spans: SpanTokenizer): Promise<{ dataset: object; rows: CaseRow[] }> {
  const tokenizer = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
  const template = chatTemplateFor(tokenizer, null);
  const tokenize = { tokenizer, template, seqLen: LARGE_SEQ_LEN };
  const bigPath = join(dir, 'large.jsonl');
  const big = await writeLargeDataset(bigPath, LARGE_MIB * 2 ** 20);
  log(`large set: ${big.rows} rows, ${mb(big.bytes).toFixed(0)} MiB, ${big.badLines.length} bad rows`);
  const rows: CaseRow[] = [];
  const bigRun = await measured((sample) => streamedPass(bigPath, 'large.jsonl', tokenize, LARGE_SEQ_LEN, sample));
  log(`streamed ${LARGE_MIB} MiB: ${(bigRun.ms / 1000).toFixed(1)} s`);
  rows.push(caseRow('large', 'b', 'now: StreamedDataset, one full pass', `${LARGE_MIB} MiB JSONL, stories260K`, big.bytes, [bigRun]));
  await rm(bigPath);

  const slicePath = join(dir, 'slice.jsonl');
  const slice = await writeLargeDataset(slicePath, OLD_MIB * 2 ** 20);
  const sliceData = `${OLD_MIB} MiB JSONL slice, stories260K`;
  const a = await measured(async (sample) => {
    const r = await runBefore(await openAsBlob(slicePath), { file: 'slice.jsonl', read: DEFAULT_READ_SETTINGS, tokenize, split: SPLIT, batch: { microBatchSize: MICRO_BATCH, seqLen: LARGE_SEQ_LEN, packing: false }, seed: SEED, spans, sample });
    return { rows: r.rows, rowsTokenized: r.examples, tokens: r.tokens, batches: r.batches, firstBatchMs: null };
  });
  log(`before on the ${OLD_MIB} MiB slice: ${(a.ms / 1000).toFixed(1)} s`);
  const b = await measured((sample) => streamedPass(slicePath, 'slice.jsonl', tokenize, LARGE_SEQ_LEN, sample));
  log(`streamed on the ${OLD_MIB} MiB slice: ${(b.ms / 1000).toFixed(1)} s`);
  rows.push(caseRow('large', 'a', 'before: parse all + tokenize (prefix spans) + split + batches', sliceData, slice.bytes, [a]));
  rows.push(caseRow('large', 'b', 'now: StreamedDataset, one full pass', sliceData, slice.bytes, [b]));
  await rm(slicePath);
  return {
    dataset: {
      generator: 'e2e/support/dataset-large.ts writeLargeDataset (prompt/completion rows from the sample, every 50th long, a bad row every 20,000)',
      mib: LARGE_MIB,
      bytes: big.bytes,
      rows: big.rows,
      badRows: big.badLines.length,
      oldPathSliceMib: OLD_MIB,
      oldPathSliceRows: slice.rows,
      seqLen: LARGE_SEQ_LEN,
      microBatchSize: MICRO_BATCH,
      tokenizer: 'stories260K.gguf (SentencePiece), default template chatTemplateFor(tokenizer, null)',
    },
    rows,
  };
}

function table(rows: readonly CaseRow[]): string {
  const head = ['case', 'data', 'rows', 'rows/s', 'tokens', 'tok/s', 'time s', '1st batch s', 'peak heap MiB (base)'];
  const body = rows.map((r) => [
    `(${r.case}) ${r.label}`,
    r.data,
    r.rows.toLocaleString('en-US'),
    r.rowsPerSecond.toFixed(0),
    r.tokens.toLocaleString('en-US'),
    r.tokensPerSecond.toFixed(0),
    r.seconds.toFixed(1),
    r.firstBatchSeconds === null ? '-' : r.firstBatchSeconds.toFixed(2),
    `${mb(r.heap.peakAboveBaselineBytes).toFixed(0)} (${mb(r.heap.baselineBytes).toFixed(0)})`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function checks(rows: readonly CaseRow[]): string[] {
  const out: string[] = [];
  const chat = rows.find((r) => r.part === 'chat' && r.case === 'b');
  if (chat) out.push(`50k chat set, streamed: ${chat.rowsPerSecond.toFixed(0)} rows/s (done when ≥ 2,000): ${chat.rowsPerSecond >= 2000 ? 'met' : 'MISSED'}`);
  const chatBefore = rows.find((r) => r.part === 'chat' && r.case === 'a');
  if (chat && chatBefore) out.push(`50k chat set: streamed is ${(chatBefore.seconds / chat.seconds).toFixed(2)}× as fast as before`);
  const slice = rows.filter((r) => r.part === 'large' && r.data.includes('slice'));
  if (slice.length === 2) out.push(`${OLD_MIB} MiB slice: streamed is ${(slice[0].seconds / slice[1].seconds).toFixed(2)}× as fast as before, peak heap ${mb(slice[1].heap.peakAboveBaselineBytes).toFixed(0)} vs ${mb(slice[0].heap.peakAboveBaselineBytes).toFixed(0)} MiB`);
  return out;
}

function trainSummary(t: TrainFigures): string {
  const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);
  const lines = [
    `webtune train, ${t.file.mib} MiB (${t.file.rows.toLocaleString('en-US')} rows), ${t.steps} steps: exit ${t.exitCode}`,
    `  "webtune: training" line ${s(t.times.trainingLineMs)}, step-0 validation ${s(t.times.validationLineMs)}, step 1 ${s(t.times.firstStepMs)}, last step ${s(t.times.lastStepMs)}, exit ${s(t.times.exitMs)}`,
    `  data work before step 1: ${s(t.dataWorkBeforeFirstStepMs)} (done when ≤ 5 s: ${t.dataWorkBeforeFirstStepMs !== null && t.dataWorkBeforeFirstStepMs <= 5000 ? 'met' : 'MISSED'})`,
    `  peak heapUsed: main thread ${(t.peakHeapUsedBytes / 1e6).toFixed(0)} MB at ${s(t.peakHeapUsedAtMs)}; workers ${t.workerHeaps.map((w) => `#${w.threadId} ${(w.peakHeapUsedBytes / 1e6).toFixed(0)} MB`).join(', ') || 'none reported'}; sum ${(t.peakHeapSumBytes / 1e6).toFixed(0)} MB = ${mb(t.peakHeapSumBytes).toFixed(0)} MiB (done when ≤ 400 MB: ${t.peakHeapSumBytes <= 400e6 ? 'met' : 'MISSED'}); peak RSS ${mb(t.peakRssBytes).toFixed(0)} MiB`,
    ...t.threads.flatMap((th) => [
      `  thread ${th.thread}: data ${th.dataMsBeforeFirstStep.toFixed(0)} ms before step 1 (data samples from ${s(th.firstDataSampleMs)} to ${s(th.lastDataSampleBeforeFirstStepMs)})`,
      '    phase | data ms | other ms | idle ms | gc ms',
      ...th.phases.map((p) => `    ${p.name} [${s(p.fromMs)}–${s(p.toMs)}] | ${p.dataMs.toFixed(0)} | ${p.otherMs.toFixed(0)} | ${p.idleMs.toFixed(0)} | ${p.gcMs.toFixed(0)}`),
    ]),
    '  heaviest data functions before step 1 (self ms):',
    ...t.topDataFunctions.map((f) => `    ${f.selfMs.toFixed(0).padStart(6)}  ${f.fn}`),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const machineAtStart = machine();
  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {};
  const dir = await mkdtemp(join(tmpdir(), 'webtune-bench-data-'));
  const out: Record<string, unknown> = { ...previous, date: new Date().toISOString() };
  try {
    if (process.argv.includes('--train')) {
      const train: TrainFigures = await runTrainBench(dir, LARGE_MIB, log);
      out.train = { ...train, machine: { ...machineAtStart, loadAverage1mAtEnd: +loadavg()[0].toFixed(2) } };
      console.log(trainSummary(train));
    } else {
      if (!HAS_GC) log('no gc(): heap baselines include earlier garbage (run with --expose-gc)');
      const spans = await loadReference();
      const rows: CaseRow[] = [];
      if (!ONLY || ONLY === 'chat') {
        const chat = await chatPart(dir, spans);
        out.chat = { dataset: chat.dataset, rows: chat.rows, machine: { ...machineAtStart, loadAverage1mAtEnd: +loadavg()[0].toFixed(2) } };
        rows.push(...chat.rows);
      }
      if (!ONLY || ONLY === 'large') {
        const large = await largePart(dir, spans);
        out.large = { dataset: large.dataset, rows: large.rows, machine: { ...machine(), loadAverage1mAtEnd: +loadavg()[0].toFixed(2) } };
        rows.push(...large.rows);
      }
      out.machine = { ...machineAtStart, loadAverage1mAtEnd: +loadavg()[0].toFixed(2), exposeGc: HAS_GC };
      out.method =
        'one full pass per case (chat cases: median of WEBTUNE_BENCH_DATA_REPS runs); rows/s = rows of the file / wall time; ' +
        'tokens/s = tokens of the examples made / wall time; heap = peak process.memoryUsage().heapUsed sampled every 20 ms ' +
        'and inside synchronous loops, minus the heapUsed after gc() before the case (baseline in brackets)';
      // The checks cover both parts, also when this run measured only one (BENCH_ONLY) and the other is kept.
      const all = [...((out.chat as { rows?: CaseRow[] } | undefined)?.rows ?? []), ...((out.large as { rows?: CaseRow[] } | undefined)?.rows ?? [])];
      out.checks = checks(all);
      out.seconds = (performance.now() - started) / 1000;
      console.log(table(rows));
      for (const c of checks(all)) console.log(c);
    }
    await mkdir(dirname(fileURLToPath(RESULTS)), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
    log(`written ${fileURLToPath(RESULTS)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
