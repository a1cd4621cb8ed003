/**
 * `webtune generate --adapter` end to end: the batch as a user runs it (a child process of bin/webtune.mjs), the
 * other commands through the CLI's `main` in this process (sharing one device's compiled pipelines). An adapter with
 * B = 0 (what PEFT's initialisation gives before training) reproduces the base's reference greedy text; a nonzero one
 * changes it; an adapter made for another base is refused before the GPU is touched, naming both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGgufModel } from '../model/gguf/model';
import { fileSource } from '../model/source-node';
import type { ModelConfig } from '../model/config';
import { webtuneMain } from '../cli/testing/webtune-main';
import { webtune } from '../cli/testing/webtune-process';
import { writeAdapterFolder } from './save-node';
import { randomAdapter } from './test-adapter';

const MODEL = '../shared/models/stories260K/stories260K.gguf';
const PROMPT = 'Once upon a time';
const REFERENCE = ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.';

const GENERATE = ['generate', '--model', MODEL, '--prompt', PROMPT, '--max-tokens', '20'];
/** In this process (main). */
const generate = (extra: string[]) => webtuneMain([...GENERATE, ...extra]);
/** As a user runs it: a child process of bin/webtune.mjs. */
const generateProcess = (extra: string[]) => webtune([...GENERATE, ...extra]);

let dir: string;
let config: ModelConfig;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webtune-adapter-'));
  const source = await fileSource(MODEL);
  config = (await openGgufModel(source)).config;
  await source.close?.();
  const zero = randomAdapter(config, { zeroB: true, seed: 1 });
  await writeAdapterFolder(join(dir, 'zero-peft'), zero, ['peft']);
  await writeAdapterFolder(join(dir, 'nonzero'), randomAdapter(config, { seed: 2, bScale: 0.3 }), ['gguf']);
  await writeAdapterFolder(join(dir, 'rank8'), randomAdapter(config, { seed: 3, r: 8, targets: ['q', 'v', 'down'], bScale: 0.3 }), ['peft']);
  await writeAdapterFolder(join(dir, 'dora'), randomAdapter(config, { seed: 4, useDora: true, bScale: 0.3 }), ['peft']);
  const other = { ...config, hiddenSize: 32, intermediateSize: 44, numHeads: 4, numKvHeads: 2 };
  await writeAdapterFolder(join(dir, 'other'), randomAdapter(other, { baseModel: 'someone/other-model', rowLayout: 'half' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('webtune generate --adapter', () => {
  it('B = 0 reproduces the base text; a nonzero adapter changes it', async () => {
    // The base's greedy text is the published reference (shared/models/README.md), so the base need not be rerun.
    const zero = await generate(['--adapter', join(dir, 'zero-peft')]);
    expect(zero.code, zero.stderr).toBe(0);
    expect(zero.stderr).toMatch(/adapter .*zero-peft — LoRA r 4, alpha 8, q,k,v,o,gate,up,down/);
    expect(zero.stdout.length).toBeGreaterThan(40);
    expect(REFERENCE.startsWith(zero.stdout)).toBe(true);

    const changed = await generate(['--adapter', join(dir, 'nonzero', 'adapter.gguf')]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout.length).toBeGreaterThan(0);
    expect(REFERENCE.startsWith(changed.stdout)).toBe(false);
  }, 400_000);

  it('refuses an adapter made for another base, naming both, and a path that is no adapter', async () => {
    const refused = await generate(['--adapter', join(dir, 'other', 'adapter_model.safetensors')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/made for 'someone\/other-model' \(llama, hidden size 32.*does not fit 'stories260K.gguf' \(llama, hidden size 64/);
    expect(refused.stdout).toBe('');

    const notAdapter = await generate(['--adapter', '../shared/models/stories260K/hf']);
    expect(notAdapter.code).toBe(1);
    expect(notAdapter.stderr).toMatch(/hf: is not a LoRA adapter: expected adapter_config.json \+ adapter_model.safetensors/);
  }, 120_000);

  it('continues one prompt per adapter, labelled: LoRA adapters and the base in one batch, DoRA in its own pass', async () => {
    const paths = [join(dir, 'nonzero', 'adapter.gguf'), join(dir, 'rank8'), join(dir, 'dora')];
    // The batch in a child process, beside one batched adapter alone and the text form with the DoRA adapter in
    // this one; batched-generation.test.ts covers 1 to 8 adapters.
    const [many, [alone, labelled]] = await Promise.all([
      generateProcess([...paths.flatMap((p) => ['--adapter', p]), '--with-base', '--json']),
      (async () => [await generate(['--adapter', paths[1], '--json']), await generate(['--adapter', paths[2], '--with-base'])])(),
    ]);
    expect(many.code, many.stderr).toBe(0);
    const columns = JSON.parse(many.stdout) as { label: string; adapter: string | null; batched: boolean; text: string; ownPass?: string }[];
    expect(columns.map((c) => [c.label, c.adapter, c.batched])).toEqual([
      ['base', null, true],
      [paths[0], paths[0], true],
      [paths[1], paths[1], true],
      [paths[2], paths[2], false],
    ]);
    expect(columns[3].ownPass).toBe('DoRA needs its own adapted weights');
    expect(many.stderr).toMatch(/batched 3 columns \(2 adapters in [\d.]+ MiB of slots\)/);
    expect(many.stderr).toMatch(/dora runs in its own pass: DoRA needs its own adapted weights/);
    expect(new Set(columns.map((c) => c.text)).size).toBe(4);
    // The base column is the base's published text; a batched adapter's is its text alone.
    expect(REFERENCE.startsWith(columns[0].text)).toBe(true);
    expect(alone.code, alone.stderr).toBe(0);
    expect(columns[2].text).toBe(JSON.parse(alone.stdout).text);
    // The text form: each continuation under its label (the base batched alone here, DoRA in its own pass).
    expect(labelled.code, labelled.stderr).toBe(0);
    expect(labelled.stdout).toBe(`== base ==\n${columns[0].text}\n\n== ${paths[2]} ==\n${columns[3].text}\n`);
  }, 600_000);

  it('refuses more than 8 adapters before loading any', async () => {
    const nine = await generate(new Array(9).fill(['--adapter', join(dir, 'rank8')]).flat());
    expect(nine.code).toBe(2); // a usage error
    expect(nine.stderr).toMatch(/9 adapters given; at most 8 continue one prompt together/);
  });
});
