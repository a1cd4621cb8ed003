/**
 * Makes the Compare test's adapters in Node (run through tsx by e2e/compare.spec.ts): PEFT folders for the bundled
 * stories260K with nonzero B (so each changes the text and the loss) — two LoRA adapters of different ranks and
 * targets, which generate in one batch with the base, and a DoRA one, which runs in a pass of its own — and one
 * whose recorded base has another vocabulary, which the Compare view must refuse naming both bases.
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
  await writeFolder(join(out, 'sun-adapter'), exportPeft(randomAdapter(config, { seed: 5, r: 8, alpha: 16, targets: ['q', 'v', 'down'], bScale: 0.1 })));
  await writeFolder(join(out, 'dora-adapter'), exportPeft(randomAdapter(config, { seed: 6, r: 4, alpha: 8, useDora: true, bScale: 0.05 })));
  const otherBase = { ...config, vocabSize: config.vocabSize * 2 };
  await writeFolder(
    join(out, 'other-base-adapter'),
    exportPeft(randomAdapter(otherBase, { seed: 4, baseModel: 'stories-big-vocab', bScale: 0.5 })),
  );
} finally {
  await closeModel(model);
}
