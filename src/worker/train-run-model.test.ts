/**
 * A Train base given as a Hugging Face folder's files (the Train view's folder picker or drop): opened by
 * openTrainModel as the Playground opens a folder, and described by inspectTrainModel for the memory estimate.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import type { FolderFile } from './engine-types';
import { inspectTrainModel, openTrainModel } from './train-run';

const HF = fileURLToPath(new URL('../../../shared/models/stories260K/hf', import.meta.url));

/** The folder as a folder picker hands it over: each file with its path inside the picked folder. */
async function pickedFolder(): Promise<FolderFile[]> {
  const names = await readdir(HF);
  return Promise.all(names.map(async (name) => ({ path: `hf/${name}`, file: new File([await readFile(`${HF}/${name}`)], name) })));
}

describe('a folder as the Train base', () => {
  it('opens as the same model as the folder on disk, named by its label', async () => {
    const loaded = await openTrainModel({ kind: 'folder', label: 'hf', files: await pickedFolder() });
    const disk = await loadModelFromPath(HF);
    try {
      expect(loaded.format).toBe('hf');
      expect(loaded.name).toBe('hf');
      expect(loaded.config).toEqual(disk.config);
    } finally {
      await closeModel(loaded);
      await closeModel(disk);
    }
  });

  it('is described for the memory estimate: its architecture and f32 weights', async () => {
    const info = await inspectTrainModel({ kind: 'folder', label: 'hf', files: await pickedFolder() });
    expect(info).toMatchObject({ name: 'hf', weights: 'f32' });
    expect(info.config).toMatchObject({ numLayers: 5, hiddenSize: 64 });
  });

  it('names the missing file when the folder has no config.json', async () => {
    const files = (await pickedFolder()).filter((f) => f.file.name !== 'config.json');
    await expect(openTrainModel({ kind: 'folder', label: 'hf', files })).rejects.toThrow(/config\.json/);
  });
});
