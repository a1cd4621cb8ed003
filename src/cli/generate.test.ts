/**
 * `webtune generate` through the CLI's own entry point (`main`, as bin/webtune.mjs runs it): stdout carries only
 * the continuation, and greedy decoding of the README's prompt reproduces its reference text exactly from both
 * the GGUF file and the Hugging Face folder. Also: --json, seeded sampling, prompts longer than the context, and
 * bad files, each with the exit code and the message a user sees.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { webtuneMain } from './testing/webtune-main';

const MODELS = '../shared/models';
const GGUF = `${MODELS}/stories260K/stories260K.gguf`;
const HF = `${MODELS}/stories260K/hf`;

/** The reference continuation, read from the README (the fenced block after "Reference:"). */
function readmeReference(): string {
  const readme = readFileSync(`${MODELS}/README.md`, 'utf8');
  const match = /Reference:[\s\S]*?```\n([\s\S]*?)\n```/.exec(readme);
  if (!match) throw new Error(`${MODELS}/README.md: no reference block after 'Reference:'`);
  return match[1];
}

const webtune = (...args: string[]) => webtuneMain(args);

// The first run acquires the process's device and compiles its pipelines, slow on SwiftShader; later runs reuse them.
const SLOW = { timeout: 900_000 };

describe('webtune generate: the README reference', SLOW, () => {
  const reference = readmeReference();

  it('the README holds a reference of several lines', () => {
    expect(reference.startsWith(', there was a little girl named Lily.')).toBe(true);
    expect(reference).toContain('\n');
  });

  it.each([
    ['stories260K.gguf', GGUF],
    ['hf/ folder', HF],
  ])('greedy, 64 tokens from "Once upon a time" (%s): stdout is exactly the reference', async (_, model) => {
    const r = await webtune('generate', '--model', model, '--prompt', 'Once upon a time', '--max-tokens', '64', '--greedy');
    expect(r.stderr).not.toMatch(/webtune generate:/); // no error line
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(reference);
    // Logs go to stderr only.
    expect(r.stderr).toMatch(/64 tokens \(max-tokens\)/);
  });

  it('--json prints one JSON object on one line ending in a newline: text, ids, speeds', async () => {
    const r = await webtune('generate', '--model', GGUF, '--prompt', 'Once upon a time', '--max-tokens', '8', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.slice(0, -1)).not.toContain('\n');
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json.text).toBe(reference.slice(0, (json.text as string).length));
    expect((json.text as string).length).toBeGreaterThan(10);
    expect(json.tokens).toHaveLength(8);
    expect(json.promptTokens).toBe(5); // BOS + 4 tokens, as the README lists them
    expect(json.prefillTokensPerSecond).toBeGreaterThan(0);
    expect(json.decodeTokensPerSecond).toBeGreaterThan(0);
  });
});

describe('webtune generate: sampling', SLOW, () => {
  const sample = async (seed: string) => {
    const args = ['--temperature', '1.2', '--top-k', '40', '--top-p', '0.95', '--repetition-penalty', '1.1'];
    const r = await webtune('generate', '--model', GGUF, '--prompt', 'Once upon a time', '--max-tokens', '12', ...args, '--seed', seed);
    expect(r.code).toBe(0);
    return r.stdout;
  };

  it('the same seed gives the same text; another seed another text', async () => {
    const a = await sample('7');
    const b = await sample('7');
    const c = await sample('8');
    expect(a.length).toBeGreaterThan(0);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('refuses contradictory or out-of-range settings as usage errors (exit 2)', async () => {
    let r = await webtune('generate', '--model', GGUF, '--prompt', 'x', '--greedy', '--temperature', '0.8');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--greedy and --temperature/);
    r = await webtune('generate', '--model', GGUF, '--prompt', 'x', '--top-p', '1.5', '--temperature', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--top-p got '1.5'/);
    r = await webtune('generate', '--prompt', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--model is required/);
  });
});

describe('webtune generate: prompts longer than the context', SLOW, () => {
  const long = 'Once upon a time there was a little girl named Lily who loved to play outside';

  it('refuses them by default, saying how long the prompt and the context are', async () => {
    const r = await webtune('generate', '--model', GGUF, '--prompt', long, '--context', '8', '--max-tokens', '4');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/the prompt has \d+ tokens; the model's context holds 8/);
  });

  it('drops the oldest prompt tokens only with --truncate, and then stops at the context', async () => {
    const r = await webtune('generate', '--model', GGUF, '--prompt', long, '--context', '8', '--max-tokens', '4', '--truncate', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { promptTokens: number; tokens: number[]; stopReason: string };
    expect(json.promptTokens).toBe(7);
    expect(json.tokens).toHaveLength(1);
    expect(json.stopReason).toBe('context');
  });
});

describe('webtune generate: bad files end with exit 1 and a message naming the file and the problem', SLOW, () => {
  const dir = mkdtempSync(join(tmpdir(), 'webtune-cli-'));
  const stories = readFileSync(GGUF);

  it('a path that does not exist', async () => {
    const r = await webtune('generate', '--model', join(dir, 'nope.gguf'), '--prompt', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope\.gguf: no such file or folder/);
  });

  it('a file that is not GGUF (bad magic)', async () => {
    const path = join(dir, 'not-a-model.gguf');
    writeFileSync(path, 'PK\u0003\u0004 this is a zip file, not a model');
    const r = await webtune('generate', '--model', path, '--prompt', 'x');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/not-a-model\.gguf.*magic/i);
  });

  it('a GGUF cut short in its tensor data', async () => {
    const path = join(dir, 'truncated.gguf');
    writeFileSync(path, stories.subarray(0, stories.length - 1000));
    const r = await webtune('generate', '--model', path, '--prompt', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/truncated\.gguf/);
    expect(r.stderr).toMatch(/past the end|truncated|beyond|end of the file/i);
  });

  it('an HF folder without its tokenizer', async () => {
    const folder = mkdtempSync(join(dir, 'hf-'));
    for (const name of ['config.json', 'model.safetensors']) writeFileSync(join(folder, name), readFileSync(join(HF, name)));
    const r = await webtune('generate', '--model', folder, '--prompt', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tokenizer\.json/);
  });
});
