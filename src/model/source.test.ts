import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from './errors';
import { blobSource, bytesSource, concatBytes, readJson } from './source';
import { fileSource, folderSources } from './source-node';

const MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);

describe('byte sources', () => {
  it('blobSource reads ranges through Blob.slice and names itself after the file', async () => {
    const src = blobSource(Object.assign(new Blob([bytes]), { name: 'w.gguf' }));
    expect(src.name).toBe('w.gguf');
    expect(src.size).toBe(100);
    expect([...(await src.read(10, 5))]).toEqual([10, 11, 12, 13, 14]);
    expect((await src.read(100, 0)).byteLength).toBe(0);
    await expect(src.read(98, 3)).rejects.toThrow(/w\.gguf: read of 3 bytes at offset 98 is past the end/);
    await expect(src.read(-1, 2)).rejects.toBeInstanceOf(ModelFormatError);
    expect(blobSource(new Blob([bytes])).name).toBe('blob');
  });

  it('bytesSource returns views and refuses reads past the end', async () => {
    const src = bytesSource(bytes, 'mem.bin');
    expect([...(await src.read(97, 3))]).toEqual([97, 98, 99]);
    await expect(src.read(50, 51)).rejects.toThrow(/mem\.bin/);
  });

  it('fileSource reads positionally from a real file and closes', async () => {
    const src = await fileSource(`${MODELS}stories260K/stories260K.gguf`);
    expect(src.name).toBe('stories260K.gguf');
    expect(src.size).toBe(1185376);
    expect(new TextDecoder().decode(await src.read(0, 4))).toBe('GGUF');
    await expect(src.read(src.size - 2, 4)).rejects.toThrow(/stories260K\.gguf: read of 4 bytes/);
    await src.close!();
  });

  it('fileSource names a missing file', async () => {
    await expect(fileSource('/nonexistent/model.gguf')).rejects.toThrow(/model\.gguf: cannot open/);
  });

  it('folderSources lists top-level files; readJson names a file that is not JSON', async () => {
    const files = await folderSources(`${MODELS}stories260K/hf`);
    expect([...files.keys()].sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(((await readJson(files.get('config.json')!)) as { hidden_size: number }).hidden_size).toBe(64);
    await expect(readJson(bytesSource(new TextEncoder().encode('{oops'), 'x.json'))).rejects.toThrow(/x\.json: not valid JSON/);
    for (const f of files.values()) await f.close?.();
  });

  it('concatBytes joins parts', () => {
    expect([...concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])]).toEqual([1, 2, 3]);
  });
});
