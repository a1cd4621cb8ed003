/**
 * `webtune handoff` as a user runs it (a child process of bin/webtune.mjs): the Axolotl YAML parses and names every
 * setting of the run, the TRL script is valid Python (`python3 -m py_compile`) for every method, and the dataset
 * rows are the run's training and validation examples, one for one, split as `webtune train` splits them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDatasetFile } from '../data/load-node';
import { prepareDataset } from '../data/prepare';
import { contentKey } from '../data/split';
import type { ChatTurn } from '../data/types';
import { chatTemplateFor } from '../model/chat';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../train/config';
import { runProcess, webtune } from '../cli/testing/webtune-process';
import { AXOLOTL_KEYS } from './handoff';

const MODEL = 'public/models/stories260K/stories260K.gguf';
const DATA = 'public/datasets/moon-stories.jsonl';

let dir: string;
const folder = (name: string) => join(dir, name);

async function handoff(name: string, flags: string[]): Promise<void> {
  const r = await webtune(['handoff', '--model', MODEL, '--data', DATA, '--out', folder(name), '--base-id', 'karpathy/tinyllamas', ...flags]);
  if (r.code !== 0) throw new Error(`webtune handoff failed: ${r.stderr}`);
}

const LORA_FLAGS = ['--rank', '8', '--alpha', '32', '--targets', 'q,k,v,o', '--lr', '3e-4', '--schedule', 'linear', '--warmup', '5', '--steps', '60', '--seq-len', '128', '--seed', '7', '--val-split', '0.1', '--batch', '2', '--grad-accum', '3', '--eval-every', '10', '--patience', '2'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webtune-handoff-'));
  await Promise.all([
    handoff('lora', LORA_FLAGS),
    handoff('qlora', ['--quant', 'nf4', '--method', 'dora', '--epochs', '2']),
    handoff('ia3', ['--method', 'ia3']),
    handoff('prompt', ['--method', 'prompt', '--virtual-tokens', '8', '--prompt-init', 'Hush, the moon']),
  ]);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('webtune handoff', () => {
  it('writes an Axolotl YAML that parses and names every setting of the run', async () => {
    const text = await readFile(join(folder('lora'), 'axolotl.yaml'), 'utf8');
    const yaml = parse(text) as Record<string, unknown>;
    const comments = text.split('\n').filter((l) => l.startsWith('#')).join('\n');
    for (const key of Object.keys(DEFAULT_TRAINING_CONFIG) as (keyof TrainingConfig)[]) {
      const named = AXOLOTL_KEYS[key];
      expect(named !== null && named in yaml ? true : comments.includes(`${key}:`), `setting ${key}`).toBe(true);
    }
    expect(yaml).toMatchObject({
      base_model: 'karpathy/tinyllamas',
      adapter: 'lora',
      lora_r: 8,
      lora_alpha: 32,
      lora_target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
      learning_rate: 3e-4,
      lr_scheduler: 'linear',
      warmup_steps: 5,
      max_steps: 60,
      sequence_len: 128,
      seed: 7,
      micro_batch_size: 2,
      gradient_accumulation_steps: 3,
      eval_steps: 10,
      early_stopping_patience: 2,
      train_on_inputs: false,
      datasets: [{ path: 'train.jsonl', type: 'chat_template', field_messages: 'messages', roles_to_train: ['assistant'] }],
      test_datasets: [{ path: 'validation.jsonl' }],
      chat_template: 'jinja',
    });
    // stories260K has no chat template: the run's own (the plain layout) goes with it.
    expect(yaml.chat_template_jinja).toContain('### Assistant:');
    const qlora = parse(await readFile(join(folder('qlora'), 'axolotl.yaml'), 'utf8'));
    expect(qlora).toMatchObject({ adapter: 'qlora', load_in_4bit: true, peft_use_dora: true, num_epochs: 2 });
    expect(qlora.max_steps).toBeUndefined();
  });

  it('writes a TRL script that is valid Python for every method, with the run’s settings', async () => {
    for (const name of ['lora', 'qlora', 'ia3', 'prompt']) {
      const compiled = await runProcess('python3', ['-m', 'py_compile', join(folder(name), 'train_trl.py')]);
      expect(compiled.stderr, name).toBe('');
      expect(compiled.code, name).toBe(0);
    }
    const lora = await readFile(join(folder('lora'), 'train_trl.py'), 'utf8');
    for (const line of ['r=8,', 'lora_alpha=32,', 'target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],', 'learning_rate=0.0003,', 'lr_scheduler_type="linear",', 'max_steps=60,', 'max_length=128,', 'seed=7,', 'assistant_only_loss=True,']) {
      expect(lora).toContain(line);
    }
    expect(await readFile(join(folder('qlora'), 'train_trl.py'), 'utf8')).toContain('BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4"');
    expect(await readFile(join(folder('ia3'), 'train_trl.py'), 'utf8')).toContain('feedforward_modules=["down_proj"],');
    expect(await readFile(join(folder('prompt'), 'train_trl.py'), 'utf8')).toContain('prompt_tuning_init_text="Hush, the moon",');
    // Axolotl trains no IA³ or prompt tuning: no YAML is written for them rather than a wrong one.
    await expect(readFile(join(folder('ia3'), 'axolotl.yaml'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('writes the run’s training and validation examples one for one, split as webtune train splits them', async () => {
    const model = await loadModelFromPath(MODEL);
    try {
      const prepared = prepareDataset(await parseDatasetFile(DATA), {
        tokenizer: model.tokenizer,
        template: chatTemplateFor(model.tokenizer, model.chatTemplate),
        seqLen: 128,
        trainOnInputs: false,
        validationFraction: 0.1,
        seed: 7,
        file: DATA,
      });
      const keysOf = async (file: string) =>
        (await readFile(join(folder('lora'), file), 'utf8'))
          .trim()
          .split('\n')
          .map((line) => contentKey({ kind: 'chat', messages: (JSON.parse(line) as { messages: ChatTurn[] }).messages }));
      expect(await keysOf('train.jsonl')).toEqual(prepared.train.map((e) => e.key));
      expect(await keysOf('validation.jsonl')).toEqual(prepared.validation.map((e) => e.key));
      expect(prepared.validation.length).toBeGreaterThan(0);
    } finally {
      await closeModel(model);
    }
  });
});
