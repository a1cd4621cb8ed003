/**
 * `webtune data` through the CLI's entry point (`main`, as bin/webtune.mjs runs it): what it prints for a CSV
 * (container, shape, mapping, bad rows by line, tokens, lengths, split), the mapping flags, --json, and bad input
 * with its exit code and message. No GPU: tokens come from the model's tokenizer alone.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './main';

const MODEL = '../shared/models/stories260K/stories260K.gguf';
const CSV = 'question,context,answer\n"Say hi","","Hi!"\n"Two\nlines",x,"ok, fine"\nbad,row\n';

let dir = '';
let stdout = '';
let stderr = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webtune-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.restoreAllMocks();
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});

async function file(name: string, text: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const MAPPED = ['--column', 'instruction=question', '--column', 'input=context', '--column', 'output=answer'];

describe('webtune data', () => {
  it('prints what the Datasets view shows, with the columns mapped by flag', async () => {
    const path = await file('qa.csv', CSV);
    expect(await main(['data', path, '--model', MODEL, ...MAPPED, '--val-split', '0'])).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`${path}: CSV, Alpaca ("instruction"/"output") rows, ${CSV.length} B`);
    expect(lines).toContain('columns: question, context, answer');
    expect(lines).toContain('mapping: instruction ← question, input ← context, output ← answer');
    expect(lines).toContain('rows: 3 (2 examples, 1 bad)');
    expect(lines).toContain('  line 5: has 2 fields; the header has 3');
    expect(stdout).toMatch(/^tokens \(stories260K\.gguf, plain chat template, sequence length 256\): (\d+) in all, (\d+) trained, (\d+) masked$/m);
    const [, all, trained, masked] = /(\d+) in all, (\d+) trained, (\d+) masked/.exec(stdout)!.map(Number);
    expect(trained + masked).toBe(all);
    expect(stdout).toMatch(/^lengths: median [\d.]+, longest \d+; 0 longer than 256 \(truncated\)$/m);
    expect(lines).toContain('split (0% held out, seed 0): 2 to train, 0 to validate');
  });

  it('prints the summary as JSON with --json, the split as `webtune train` would make it', async () => {
    const path = await file('qa2.csv', CSV);
    expect(await main(['data', path, '--model', MODEL, ...MAPPED, '--json', '--seq-len', '40', '--val-split', '0.5', '--seed', '7'])).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      container: 'csv',
      shape: 'alpaca',
      rows: 3,
      examples: 2,
      badRowCount: 1,
      badRows: [{ line: 5, reason: 'has 2 fields; the header has 3' }],
      seqLen: 40,
      split: { train: 1, validation: 1 },
      mapping: { instruction: 'question', input: 'context', output: 'answer' },
      tokenizer: { model: 'stories260K.gguf', template: 'plain' },
    });
    expect(summary.overLength).toBeGreaterThan(0);
  });

  it.each([
    [['--column', 'instruction'], "--column got 'instruction'; expected FIELD=COLUMN, e.g. --column instruction=question"],
    [['--column', 'answer=x'], "--column: 'answer' is not a field of any shape; expected one of messages, conversations, instruction, input, output, system, prompt, completion, text"],
    [['--format', 'alpaca', '--column', 'prompt=q'], "--column: 'prompt' is not a field of alpaca rows; expected one of instruction, input, output, system"],
    [['--column', 'output=a', '--column', 'output=b'], "--column: 'output' is given twice"],
    [['--bad-rows', 'keep'], "--bad-rows got 'keep'; expected one of skip, fail"],
    [['--seq-len', '1'], '--seq-len got'],
  ])('refuses %j as bad usage (exit 2)', async (flags, message) => {
    const path = await file('flags.csv', CSV);
    expect(await main(['data', path, '--model', MODEL, ...flags])).toBe(2);
    expect(stderr).toContain(message);
  });

  it('refuses a file that gives no dataset (exit 1), naming the file and what is wrong', async () => {
    const unmapped = await file('unmapped.csv', CSV);
    expect(await main(['data', unmapped, '--model', MODEL])).toBe(1);
    expect(stderr).toContain(`${unmapped}: missing columns: the header (line 1) has "question", "context", "answer"`);

    stderr = '';
    expect(await main(['data', unmapped, '--model', MODEL, ...MAPPED, '--bad-rows', 'fail'])).toBe(1);
    expect(stderr).toContain(`${unmapped}: 1 bad row: line 5: has 2 fields; the header has 3`);

    stderr = '';
    expect(await main(['data', join(dir, 'missing.jsonl'), '--model', MODEL])).toBe(1);
    expect(stderr).toContain('missing.jsonl: no such file');

    stderr = '';
    expect(await main(['data', '--model', MODEL])).toBe(2);
    expect(stderr).toContain('the dataset file is required');
  });
});
