/**
 * Issue 3's "bad input" list, through the path the CLI and the studio take (open the files → upload to the GPU):
 * every broken model ends with a ModelFormatError naming the file and the problem, and the GPU arena holds
 * exactly what it held before (another model, already loaded, stays untouched). Real files on disk, broken the
 * way downloads and conversions break them.
 */
import { copyFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../model/errors';
import { closeModel } from '../../model/load';
import { loadModelFromPath } from '../../model/load-node';
import { GpuContext } from '../context';
import { testContext } from '../testing/gpu';
import { releaseModel, uploadModel, type UploadedModel } from './upload';

const STORIES = '../shared/models/stories260K';
const HF_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
const dir = mkdtempSync(join(tmpdir(), 'webtune-bad-input-'));
const gguf = readFileSync(`${STORIES}/stories260K.gguf`);

/** Loads and uploads as the CLI does; the upload is released again if it ever succeeds. */
async function loadOntoGpu(ctx: GpuContext, path: string): Promise<void> {
  const loaded = await loadModelFromPath(path);
  try {
    const up = await uploadModel(ctx, loaded.weights);
    releaseModel(ctx, up);
  } finally {
    await closeModel(loaded);
  }
}

/** A copy of stories260K/hf with some files replaced (new content) or left out (null). */
function makeHfFolder(name: string, changes: Record<string, string | Buffer | null>): string {
  const folder = mkdtempSync(join(dir, `${name}-`));
  for (const file of HF_FILES) if (!(file in changes)) copyFileSync(join(STORIES, 'hf', file), join(folder, file));
  for (const [file, content] of Object.entries(changes)) if (content !== null) writeFileSync(join(folder, file), content);
  return folder;
}

function hfConfig(over: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(readFileSync(join(STORIES, 'hf', 'config.json'), 'utf8')), ...over });
}

/** The byte offset of a tensor's ggml type field in a GGUF header (after its name, n_dims and dims). */
function ggufTypeOffset(bytes: Uint8Array, tensorName: string, dims: number): number {
  const name = new TextEncoder().encode(tensorName);
  for (let i = 8; i + name.length < bytes.length; i++) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + i - 8, 8).getBigUint64(0, true);
    if (len === BigInt(name.length) && name.every((b, j) => bytes[i + j] === b)) return i + name.length + 4 + 8 * dims;
  }
  throw new Error(`tensor info '${tensorName}' not found`);
}

function writeGguf(name: string, mutate: (bytes: Uint8Array) => Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, mutate(new Uint8Array(gguf)));
  return path;
}

describe('bad model files: a specific error naming the file, nothing left on the GPU', () => {
  let ctx: GpuContext;
  let resident: UploadedModel;
  let before: number;

  beforeAll(async () => {
    const shared = await testContext();
    ctx = new GpuContext(shared.device, shared.report);
    // A model already on the GPU, as in the studio when the user opens a second one.
    const loaded = await loadModelFromPath(`${STORIES}/stories260K.gguf`);
    resident = await uploadModel(ctx, loaded.weights);
    await closeModel(loaded);
    before = ctx.memory.inUseBytes;
    expect(before).toBe(resident.weightBytes);
  });

  const cases: [string, () => string, RegExp, RegExp][] = [
    [
      'bad magic',
      () => writeGguf('magic.gguf', (b) => (b.set([0x50, 0x4b, 0x03, 0x04]), b)),
      /magic\.gguf/,
      /not a GGUF file \(magic bytes 50 4b 03 04/,
    ],
    [
      'header cut short after its counts',
      () => writeGguf('header.gguf', (b) => b.subarray(0, 200)),
      /header\.gguf/,
      /metadata count 19 cannot fit in the rest of the file/,
    ],
    [
      'header cut short inside the vocabulary (an array length runs past the end)',
      () => writeGguf('vocab-cut.gguf', (b) => b.subarray(0, 6000)),
      /vocab-cut\.gguf/,
      /metadata key 'tokenizer\.ggml\.tokens': needs \d+ bytes at offset \d+ but the file ends at 6000 \(truncated or corrupt\)/,
    ],
    [
      'tensor data cut short (tensor offsets out of range)',
      () => writeGguf('data.gguf', (b) => b.subarray(0, b.length - 4096)),
      /data\.gguf/,
      /tensor '[^']+' .*runs past the end of the file/,
    ],
    [
      'unknown tensor type',
      () => writeGguf('dtype.gguf', (b) => (new DataView(b.buffer).setUint32(ggufTypeOffset(b, 'output_norm.weight', 1), 99, true), b)),
      /dtype\.gguf/,
      /output_norm\.weight.*(type|99)|(type|99).*output_norm\.weight/i,
    ],
    [
      'safetensors header length past the end',
      () => makeHfFolder('st-header', { 'model.safetensors': Buffer.from([0xff, 0xff, 0xff, 0x00, 0, 0, 0, 0, 0x7b]) }),
      /model\.safetensors/,
      /header/i,
    ],
    [
      'tensor shapes that disagree with config.json',
      () => makeHfFolder('shape', { 'config.json': hfConfig({ intermediate_size: 176 }) }),
      /model\.safetensors/,
      /has shape \[172, 64\] but the config implies \[176, 64\]/,
    ],
    [
      'vocabulary size that disagrees with the model',
      () => makeHfFolder('vocab', { 'config.json': hfConfig({ vocab_size: 500 }) }),
      /model\.safetensors/,
      /vocabulary size 500 disagrees with the embedding 'model\.embed_tokens\.weight' of 512 rows/,
    ],
    [
      'a missing shard',
      () =>
        makeHfFolder('shard', {
          'model.safetensors': null,
          'model-00001-of-00002.safetensors': readFileSync(join(STORIES, 'hf', 'model.safetensors')),
          'model.safetensors.index.json': JSON.stringify({
            weight_map: { 'model.norm.weight': 'model-00002-of-00002.safetensors', 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors' },
          }),
        }),
      /model\.safetensors\.index\.json/,
      /names shard model-00002-of-00002\.safetensors, which was not given/,
    ],
    [
      'a missing tokenizer',
      () => makeHfFolder('tokenizer', { 'tokenizer.json': null }),
      /tokenizer\.json/,
      /is missing/,
    ],
    [
      'a GGUF without its tokenizer',
      () => {
        // Rename the key so the file no longer has 'tokenizer.ggml.model' (same length: the layout stays valid).
        const key = new TextEncoder().encode('tokenizer.ggml.model');
        return writeGguf('no-tokenizer.gguf', (b) => {
          const at = Buffer.from(b).indexOf(Buffer.from(key));
          b.set(new TextEncoder().encode('tokenizer.ggml.m0del'), at);
          return b;
        });
      },
      /no-tokenizer\.gguf/,
      /tokenizer model '\(none\)'/,
    ],
  ];

  it.each(cases)('%s', async (_, make, file, problem) => {
    const path = make();
    const error = await loadOntoGpu(ctx, path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(file);
    expect((error as Error).message).toMatch(problem);
    expect(ctx.memory.inUseBytes).toBe(before);
  });

  it('a file that shrinks after it was opened fails during the upload, which gives back what it had uploaded', async () => {
    const path = join(dir, 'shrinks.gguf');
    writeFileSync(path, gguf);
    const loaded = await loadModelFromPath(path);
    try {
      truncateSync(path, gguf.length - 20_000); // the last tensors' bytes are gone
      await expect(uploadModel(ctx, loaded.weights)).rejects.toThrow(/shrinks\.gguf: .*(shrank|past the end)/);
    } finally {
      await closeModel(loaded);
    }
    expect(ctx.memory.inUseBytes).toBe(before);
  });

  it('the resident model is still intact afterwards', async () => {
    expect(ctx.memory.inUseBytes).toBe(resident.weightBytes);
    releaseModel(ctx, resident);
    expect(ctx.memory.inUseBytes).toBe(0);
  });
});
