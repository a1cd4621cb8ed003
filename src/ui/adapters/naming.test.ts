/** The Adapters view's pure rules: download names, the rename field, an upload's label, how facts are shown. */
import { describe, expect, it } from 'vitest';
import { exportFileName, fileStem, mergedFileName } from './file-names';
import { formatCreated, formatDataset, formatRank, formatValLoss } from './record-format';
import { MAX_ADAPTER_NAME, parseAdapterName } from './rename';
import { uploadLabel } from './upload-label';

describe('export file names', () => {
  it('come from the adapter name with the kind’s extension', () => {
    expect(exportFileName('moon stories', 'peft')).toBe('moon stories.zip');
    expect(exportFileName('moon stories', 'gguf')).toBe('moon stories.gguf');
    expect(mergedFileName('moon stories', { kind: 'gguf', type: 'q4_k' })).toBe('moon stories-merged-q4_k.zip');
    expect(mergedFileName('moon/v2', { kind: 'hf', dtype: 'bf16' })).toBe('moon v2-merged-hf-bf16.zip');
  });

  it('lose path separators, reserved and control characters, leading dots and trailing dots', () => {
    expect(fileStem('../moon/v2: "best"?')).toBe('moon v2 best');
    expect(fileStem('a\\b|c*d<e>f\u0007g')).toBe('a b c d e f g');
    expect(fileStem('...hidden')).toBe('hidden');
    expect(fileStem('name. ')).toBe('name');
  });

  it('are never empty', () => {
    expect(fileStem('')).toBe('adapter');
    expect(fileStem('///')).toBe('adapter');
    expect(exportFileName('??', 'gguf')).toBe('adapter.gguf');
  });
});

describe('parseAdapterName', () => {
  it('trims and collapses spaces', () => {
    expect(parseAdapterName('  moon   v2 ')).toEqual({ ok: true, name: 'moon v2' });
  });

  it('refuses an empty or overlong name, saying why', () => {
    const empty = parseAdapterName('   ');
    expect(empty.ok).toBe(false);
    expect(!empty.ok && empty.message).toMatch(/cannot be empty/);
    const long = parseAdapterName('x'.repeat(MAX_ADAPTER_NAME + 1));
    expect(!long.ok && long.message).toMatch(new RegExp(`${MAX_ADAPTER_NAME} characters \\(this one has ${MAX_ADAPTER_NAME + 1}\\)`));
  });
});

describe('uploadLabel', () => {
  const f = (path: string) => ({ path, file: new File([], path.split('/').pop()!) });
  it('is a lone file’s name, or the folder all files share', () => {
    expect(uploadLabel([f('moon.zip')])).toBe('moon.zip');
    expect(uploadLabel([f('moon/adapter_config.json'), f('moon/adapter_model.safetensors')])).toBe('moon');
    expect(uploadLabel([f('adapter_config.json'), f('adapter_model.safetensors')])).toBe('dropped files');
    expect(uploadLabel([f('config-only/adapter_config.json')])).toBe('config-only');
  });
});

describe('record facts', () => {
  it('show a dash for a missing validation loss and four digits otherwise', () => {
    expect(formatValLoss(null)).toBe('—');
    expect(formatValLoss(2.345678)).toBe('2.346');
  });

  it('show the rank with its alpha, the dataset or where it came from, and a sortable date', () => {
    expect(formatRank({ rank: 8, alpha: 16, method: 'LoRA' })).toBe('8 (α 16)');
    expect(formatRank({ rank: 0, alpha: 0, method: 'IA³' })).toBe('—');
    expect(formatDataset({ dataset: 'moon.jsonl', source: 'trained' })).toBe('moon.jsonl');
    expect(formatDataset({ dataset: null, source: 'imported' })).toBe('imported');
    expect(formatCreated(new Date(2026, 10, 27, 9, 5).getTime())).toBe('2026-11-27 09:05');
  });
});
