/**
 * Makes the Compare test's adapters in Node (run through tsx by e2e/compare.spec.ts): a PEFT folder for the bundled
 * stories260K with nonzero B (so it changes the text and the loss), and one whose recorded base has another
 * vocabulary, which the Compare view must refuse naming both bases.
 *
 * usage: tsx e2e/support/compare-adapters.ts <model.gguf> <out-dir>
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportPeft } from '../../src/adapters/peft';
import { randomAdapter } from '../../src/adapters/test-adapter';
import { closeModel } from '../../src/model/load';
import { loadModelFromPath } from '../../src/model/load-node';

async function writeFolder(dir: string, parts: Record<string, Uint8Array[]>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, chunks] of Object.entries(parts)) await writeFile(join(dir, name), chunks);
}

const [modelPath, out] = process.argv.slice(2);
if (!modelPath || !out) throw new Error('usage: compare-adapters.ts <model.gguf> <out-dir>');
const model = await loadModelFromPath(modelPath);
try {
  const { config } = model;
  await writeFolder(join(out, 'moon-adapter'), exportPeft(randomAdapter(config, { seed: 3, r: 4, alpha: 8, bScale: 0.05 })));
  const otherBase = { ...config, vocabSize: config.vocabSize * 2 };
  await writeFolder(
    join(out, 'other-base-adapter'),
    exportPeft(randomAdapter(otherBase, { seed: 4, baseModel: 'stories-big-vocab', bScale: 0.5 })),
  );
} finally {
  await closeModel(model);
}
