import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { baseStorage } from '../model/quant/storage';
import { DEFAULT_TRAINING_CONFIG } from '../train/config';
import { planMemory } from '../train/memory-plan';
import { main } from './main';
import { parseTrainArgs } from './train';

const MODEL = '../shared/models/stories260K/stories260K.gguf';
const base = ['--model', MODEL, '--data', 'd.jsonl', '--out', 'o'];
/** Limits that bind nothing: the plan's estimate then depends only on the budget. */
const ROOMY = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 };

describe('parseTrainArgs', () => {
  it('maps every option onto the training config', () => {
    const a = parseTrainArgs([
      ...base,
      '--steps', '300', '--rank', '4', '--alpha', '8', '--targets', 'q,v', '--lr', '1e-3', '--batch', '2',
      '--grad-accum', '3', '--seq-len', '64', '--quant', 'nf4', '--val-split', '0.2', '--seed', '7', '--schedule',
      'linear', '--warmup', '5', '--eval-every', '10', '--save-every', '20', '--dropout', '0.05', '--rslora',
      '--train-on-inputs', '--pack', '--checkpointing', '--weight-decay', '0.01', '--max-grad-norm', '0',
      '--patience', '3', '--format', 'alpaca', '--resume', '--json', '--keep-last',
    ]);
    expect(a.config).toMatchObject({
      maxSteps: 300, epochs: null, rank: 4, alpha: 8, targets: ['q', 'v'], learningRate: 1e-3, batchSize: 2,
      gradAccum: 3, seqLen: 64, quant: 'nf4', valSplit: 0.2, seed: 7, schedule: 'linear', warmupSteps: 5,
      evalEvery: 10, saveEvery: 20, dropout: 0.05, rsLora: true, trainOnInputs: true, pack: true,
      checkpointing: true, weightDecay: 0.01, maxGradNorm: 0, patience: 3, keepBest: false,
    });
    expect(a).toMatchObject({ format: 'alpaca', resume: true, json: true, outDir: 'o' });
  });

  it('--memory: auto (the default) plans for the device, a number of MiB for that budget', () => {
    expect(parseTrainArgs(base).budgetBytes).toBeUndefined();
    expect(parseTrainArgs([...base, '--memory', 'auto']).budgetBytes).toBeUndefined();
    expect(parseTrainArgs([...base, '--memory', '1536']).budgetBytes).toBe(1536 * 2 ** 20);
  });

  it('defaults to one epoch', () => {
    expect(parseTrainArgs(base).config).toMatchObject({ maxSteps: null, epochs: 1 });
  });

  it.each([
    [['--lr', '0'], "--lr got '0'; the learning rate must be a positive finite number (0 would leave the adapter untouched)"],
    [['--lr', 'NaN'], "--lr got 'NaN'; the learning rate must be a positive finite number (NaN is not a number)"],
    [['--rank', '0'], "--rank got '0'; expected a positive integer"],
    [['--rank', '2.5'], "--rank got '2.5'; expected a positive integer"],
    [['--targets', 'q,x'], "--targets: 'x' is not one of q,k,v,o,gate,up,down"],
    [['--targets', 'q,q'], "--targets: 'q,q' names an item twice"],
    [['--quant', 'int3'], "--quant got 'int3'; expected one of none, nf4"],
    [['--val-split', '1'], "--val-split got '1'; expected a fraction in [0, 1)"],
    [['--steps', '10', '--epochs', '2'], 'give --steps or --epochs, not both'],
    [['--schedule', 'step'], "--schedule got 'step'; expected one of constant, linear, cosine"],
    [['--seq-len', '1'], "--seq-len got '1'; expected an integer ≥ 2"],
  ])('refuses %j with a specific message', (extra, message) => {
    expect(() => parseTrainArgs([...base, ...extra])).toThrow(message);
  });

  it('names the missing required option', () => {
    expect(() => parseTrainArgs(['--model', MODEL, '--out', 'o'])).toThrow(/^--data is required/);
  });
});

describe('webtune train: bad input ends with a specific message and exit code', () => {
  let dir = '';
  const messages: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webtune-train-'));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      messages.push(String(chunk));
      return true;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(data: string, extra: string[] = []): Promise<{ code: number; text: string }> {
    messages.length = 0;
    const file = join(dir, `d${Math.random().toString(36).slice(2)}.jsonl`);
    await writeFile(file, data);
    const code = await main(['train', '--model', MODEL, '--data', file, '--out', join(dir, `out-${Math.random().toString(36).slice(2)}`), '--steps', '2', ...extra]);
    return { code, text: messages.join('') };
  }

  const story = JSON.stringify({ prompt: 'Tell a story.', completion: 'Once upon a time there was a cat.' });

  it('an empty dataset', async () => {
    const r = await run('');
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/d\w+\.jsonl: .*(empty|no examples)/);
  });

  it('a dataset whose every label is masked', async () => {
    const onlyUser = JSON.stringify({ messages: [{ role: 'user', content: 'hello there' }] });
    const r = await run(`${onlyUser}\n${onlyUser}\n`, ['--val-split', '0']);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/no usable examples: all 2 rows were rejected; first: line 1: no assistant turn .*nothing to learn from/);
  });

  it('a rank larger than a targeted layer', async () => {
    const r = await run(`${story}\n${story}\n`, ['--rank', '64', '--targets', 'k']);
    expect(r.code).toBe(2);
    expect(r.text).toContain("--rank: 64 is larger than the 'k' projection's dimensions (32×64); use --rank ≤ 32");
  });

  it('an example longer than the sequence length, when asked to refuse', async () => {
    const long = JSON.stringify({ prompt: 'Tell a story.', completion: 'Once upon a time there was a cat. '.repeat(8) });
    const r = await run(`${story}\n${long}\n`, ['--seq-len', '64', '--over-length', 'refuse', '--val-split', '0']);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/1 example is longer than the sequence length of 64 tokens \(line 2: \d+ tokens\); raise the sequence length or allow truncation/);
  });

  it('a memory budget no plan fits, naming the nearest that would', async () => {
    const r = await run(`${story}\n${story}\n`, ['--memory', '2', '--val-split', '0']);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(
      /this run does not fit the GPU: no plan fits: even micro-batch 1 × accumulation \d+, checkpointing on needs [\d.]+ MiB \(the run needs about [\d.]+ MiB, more than the 2\.0 MiB available\)\. Would fit: --memory \d+: about [\d.]+ MiB\./,
    );
  });

  it('--memory below what the settings need: the run trains with the plan, prints it, and reports it in --json', async () => {
    const model = await loadModelFromPath(MODEL);
    const asked = { ...DEFAULT_TRAINING_CONFIG, batchSize: 4, gradAccum: 1, checkpointing: false };
    const bytes = (checkpointing: boolean) =>
      planMemory({ model: model.config, stored: baseStorage(model.weights), config: { ...asked, checkpointing }, limits: ROOMY }).estimate.totalBytes;
    const mib = Math.floor((bytes(false) + bytes(true)) / 2 / 2 ** 20 * 1000) / 1000;
    await closeModel(model);
    const stdout: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
    const r = await run(`${story}\n${story}\n`, ['--batch', '4', '--grad-accum', '1', '--memory', String(mib), '--val-split', '0', '--json']);
    write.mockRestore();
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(
      /webtune: memory plan: micro-batch 4 × accumulation 1, checkpointing on: [\d.]+ [KM]iB of [\d.]+ MiB\. Chosen because as set \(micro-batch 4 × accumulation 1, checkpointing off\) the run needs about/,
    );
    const json = JSON.parse(stdout.join('').trim().split('\n').at(-1)!);
    expect(json.memoryPlan).toEqual({ batchSize: 4, gradAccum: 1, checkpointing: true, budgetBytes: Math.floor(mib * 2 ** 20), changed: true });
    expect(json.estimatedBytes).toBeLessThanOrEqual(mib * 2 ** 20);
  }, 300_000);

  it('--memory that is neither auto nor MiB', async () => {
    const r = await run(`${story}\n`, ['--memory', 'lots']);
    expect(r.code).toBe(2);
    expect(r.text).toContain("--memory got 'lots'; expected 'auto' or a positive number of MiB");
  });
});
