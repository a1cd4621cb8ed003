/**
 * Dropped .zip archives are untrusted: a normal adapter archive unpacks as before, and bombs, lying headers, names
 * that leave the folder, unsupported methods and truncated bytes are each refused with a ModelFormatError naming
 * the entry, without inflating what the headers do not allow.
 */
import { zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../model/errors';
import { syntheticConfig } from '../model/fixtures';
import { bytesSource } from '../model/source';
import { AdapterUploadError, adapterByteCap, readUploadedAdapter } from './adapter-upload';
import { DEFAULT_ZIP_LIMITS, unzipFiles, zipFiles, type ZipLimits } from './zip';

const MiB = 2 ** 20;
const text = (s: string) => new TextEncoder().encode(s);
const limits = (over: Partial<ZipLimits>): ZipLimits => ({ ...DEFAULT_ZIP_LIMITS, basis: 'in this test', ...over });

/** The refusal unzipFiles throws (a ModelFormatError naming the archive), so each test can match its wording. */
function refusal(bytes: Uint8Array, over: Partial<ZipLimits> = {}): string {
  try {
    unzipFiles(bytes, 'drop.zip', limits(over));
  } catch (error) {
    if (!(error instanceof ModelFormatError)) throw new Error(`expected a ModelFormatError, got ${String(error)}`);
    expect(error.file).toBe('drop.zip');
    return error.problem;
  }
  throw new Error('expected a refusal, the archive was unpacked');
}

/** A copy of the archive with one header field of entry `index` overwritten (fflate writes no data descriptors). */
function patched(zip: Uint8Array, index: number, field: 'method' | 'declared', value: number, where: 'both' | 'central' = 'both'): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  const end = copy.length - 22; // fflate writes no archive comment
  let central = view.getUint32(end + 16, true);
  for (let i = 0; i < index; i++) central += 46 + view.getUint16(central + 28, true) + view.getUint16(central + 30, true) + view.getUint16(central + 32, true);
  const local = view.getUint32(central + 42, true);
  if (field === 'method') {
    view.setUint16(central + 10, value, true);
    if (where === 'both') view.setUint16(local + 8, value, true);
  } else {
    view.setUint32(central + 24, value, true);
    if (where === 'both') view.setUint32(local + 22, value, true);
  }
  return copy;
}

/** 64 MiB of zeros and their ~64 KiB level-9 archive, built once (the compression takes most of a second). */
let bombCache: { zeros: Uint8Array; bomb: Uint8Array } | undefined;
function deflateBomb() {
  if (!bombCache) {
    const zeros = new Uint8Array(64 * MiB);
    bombCache = { zeros, bomb: zipSync({ 'adapter_model.safetensors': [zeros, { level: 9 }] }) };
  }
  return bombCache;
}

/** arrayBuffers growth across `run` in MiB: what the call allocated and still held when it returned or threw. */
function arrayBufferGrowthMiB(run: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  run();
  return (process.memoryUsage().arrayBuffers - before) / MiB;
}

describe('unzipFiles', () => {
  it('round-trips zipFiles and deflated archives, skipping folders and __MACOSX', async () => {
    const weights = new Uint8Array(20_000).map((_, i) => (i * 7) % 251);
    const stored = unzipFiles(zipFiles({ 'moon/adapter_config.json': [text('{"r":4}')], 'moon/adapter_model.safetensors': [weights] }), 'moon.zip');
    expect([...stored.keys()]).toEqual(['moon/adapter_config.json', 'moon/adapter_model.safetensors']);
    const source = stored.get('moon/adapter_model.safetensors')!;
    expect(source.name).toBe('adapter_model.safetensors');
    expect(await source.read(0, source.size)).toEqual(weights);

    const deflated: Zippable = { 'moon/': {}, '__MACOSX/moon/._x': text('fork'), 'moon\\notes.txt': [text('hi '.repeat(10_000)), { level: 9 }] };
    const files = unzipFiles(zipSync(deflated), 'moon.zip');
    // A Windows tool's '\' separator reads as '/'.
    expect([...files.keys()]).toEqual(['moon/notes.txt']);
    const notes = files.get('moon/notes.txt')!;
    expect(new TextDecoder().decode(await notes.read(0, notes.size))).toBe('hi '.repeat(10_000));
  });

  it('refuses a deflate bomb on its declared size before inflating it', () => {
    const { zeros, bomb } = deflateBomb();
    expect(bomb.length).toBeLessThan(MiB / 4);
    let problem = '';
    const grew = arrayBufferGrowthMiB(() => (problem = refusal(bomb, { entryBytes: MiB, totalBytes: MiB })));
    expect(problem).toBe(`entry 'adapter_model.safetensors' declares ${64 * MiB} uncompressed bytes; an entry is at most ${MiB} bytes in this test`);
    expect(grew).toBeLessThan(4);
    // The total cap counts every entry: two halves that each fit refuse together.
    const halves = zipSync({ a: [zeros.subarray(0, MiB), { level: 9 }], b: [zeros.subarray(0, MiB), { level: 9 }] });
    expect(refusal(halves, { entryBytes: MiB, totalBytes: 1.5 * MiB })).toBe(`entries up to 'b' declare ${2 * MiB} uncompressed bytes; an archive is at most ${1.5 * MiB} bytes in this test`);
    expect(zeros.length).toBe(64 * MiB); // keeps the input alive so its collection cannot mask growth above
  });

  it('stops inflating an entry whose headers understate its size, without allocating what it inflates to', () => {
    const { zeros, bomb } = deflateBomb();
    const lying = patched(bomb, 0, 'declared', 1000);
    let problem = '';
    // The default caps (2 GiB) would let 64 MiB through: only the count of actual bytes stops this one.
    const grew = arrayBufferGrowthMiB(() => (problem = refusal(lying)));
    expect(problem).toBe(`entry 'adapter_model.safetensors' inflates past the 1000 bytes it declares (corrupt or hostile archive)`);
    expect(grew).toBeLessThan(8);
    expect(zeros.length).toBe(64 * MiB);
  });

  it('refuses sizes that disagree: headers with each other, data with headers', () => {
    const zip = zipSync({ 'a.bin': [text('x'.repeat(5000)), { level: 6 }], 'b.bin': [text('stored'), { level: 0 }] });
    expect(refusal(patched(zip, 0, 'declared', 4000, 'central'))).toBe(
      `entry 'a.bin' declares 5000 uncompressed bytes in its local header but 4000 in the central directory (corrupt archive)`,
    );
    expect(refusal(patched(zip, 0, 'declared', 6000))).toBe(`entry 'a.bin' inflates to 5000 bytes but declares 6000 (corrupt archive)`);
    expect(refusal(patched(zip, 1, 'declared', 9))).toBe(`entry 'b.bin' stores 6 bytes but declares 9 (corrupt archive)`);
  });

  it('refuses entry names that leave the folder, NUL bytes and duplicates', () => {
    const one = (name: string) => zipSync({ [name]: text('x'), 'ok.txt': text('y') });
    expect(refusal(one('../x'))).toBe(`entry '../x' has a '..' segment, which points outside the archive's folder`);
    expect(refusal(one('a\\..\\..\\b'))).toBe(`entry 'a\\..\\..\\b' has a '..' segment, which points outside the archive's folder`);
    expect(refusal(one('/etc/passwd'))).toBe(`entry '/etc/passwd' has an absolute path`);
    expect(refusal(one('C:\\x'))).toBe(`entry 'C:\\x' has an absolute path`);
    expect(refusal(one('\\\\server\\x'))).toBe(`entry '\\\\server\\x' has an absolute path`);
    expect(refusal(one('a\0b'))).toBe(`entry 'a\\x00b' has a NUL byte in its name`);
    expect(refusal(zipSync({ 'a/x': text('1'), 'a\\x': text('2') }))).toBe(`has two entries named 'a\\x'`);
  });

  it('refuses more entries than the limit before reading them', () => {
    const many: Zippable = {};
    for (let i = 0; i < 1001; i++) many[`f${i}`] = text('x');
    expect(refusal(zipSync(many))).toBe('has 1001 entries; an adapter archive may have at most 1000');
    expect(refusal(zipSync({ a: text('1'), b: text('2'), c: text('3') }), { entries: 2 })).toBe('has 3 entries; an adapter archive may have at most 2');
  });

  it('refuses compression methods other than stored and deflate, naming the method', () => {
    const zip = zipSync({ 'adapter_model.safetensors': [text('weights'), { level: 0 }] });
    expect(refusal(patched(zip, 0, 'method', 14))).toBe(`entry 'adapter_model.safetensors' uses compression method 14 (LZMA); only stored (0) and deflate (8) are supported`);
    expect(refusal(patched(zip, 0, 'method', 77))).toBe(`entry 'adapter_model.safetensors' uses compression method 77; only stored (0) and deflate (8) are supported`);
    expect(refusal(patched(zip, 0, 'method', 8, 'central'))).toMatch(/names compression method 0 in its local header but 8 in the central directory/);
  });

  it('refuses truncated and corrupt archives with a ModelFormatError, at every length and flipped byte', () => {
    const zip = zipSync({ 'adapter_config.json': [text('{"r": 4, "lora_alpha": 8}'), { level: 9 }], 'w.bin': [new Uint8Array(200).fill(3), { level: 0 }] });
    expect(refusal(zip.subarray(0, zip.length - 1))).toBe("is not a readable .zip archive: it has no end-of-central-directory record (truncated?)");
    // The front half with the end record put back: the directory it points to is gone.
    expect(refusal(new Uint8Array([...zip.subarray(0, 120), ...zip.subarray(zip.length - 22)]))).toMatch(/^is truncated or corrupt: central directory entry 0 at byte \d+ runs past/);
    const garbage = zipSync({ 'a.bin': [text('a'.repeat(1000)), { level: 6 }] });
    garbage.fill(0xff, 35, 37); // the deflate data starts after the 30-byte local header and the name
    expect(refusal(garbage)).toMatch(/^entry 'a\.bin' is not valid deflate data \(/);
    // No length or single flipped byte may escape as anything but a refusal or a clean unpacking.
    for (let length = 0; length < zip.length; length++) refusal(zip.subarray(0, length));
    for (let at = 0; at < zip.length; at++) {
      const flipped = zip.slice();
      flipped[at] ^= 0x5a;
      try {
        unzipFiles(flipped, 'drop.zip');
      } catch (error) {
        expect(error).toBeInstanceOf(ModelFormatError);
      }
    }
  });
});

describe('adapterByteCap', () => {
  it("is the base's parameters in f32 plus 32 MiB of side files, and bounds an upload for that base", async () => {
    // syntheticConfig: vocab 61 × hidden 32 embedding and output, and per layer q 32², k and v 16×32, o 32²,
    // gate/up/down 44×32, three norms of 32 less the one final norm.
    const perLayer = 32 + 32 * 32 + 2 * 16 * 32 + 32 * 32 + 32 + 3 * 44 * 32;
    const parameters = 2 * 61 * 32 + 32 + 2 * perLayer;
    expect(adapterByteCap(syntheticConfig())).toBe(parameters * 4 + 32 * MiB);
    expect(adapterByteCap(syntheticConfig({ tiedEmbeddings: true }))).toBe((parameters - 61 * 32) * 4 + 32 * MiB);

    const cap = adapterByteCap(syntheticConfig());
    const claimsMore = patched(zipSync({ 'adapter_model.safetensors': [text('tiny'), { level: 0 }] }), 0, 'declared', cap + 1);
    const upload = [{ path: 'moon.zip', source: bytesSource(claimsMore, 'moon.zip') }];
    const error = await readUploadedAdapter(upload, 'moon.zip', { config: syntheticConfig(), name: 'synthetic' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterUploadError);
    expect((error as AdapterUploadError).problem).toBe('bad-file');
    expect((error as Error).message).toBe(
      `moon.zip: entry 'adapter_model.safetensors' declares ${cap + 1} uncompressed bytes; an entry is at most ${cap} bytes for an adapter of synthetic`,
    );
    // Without a base the default 2 GiB lets that claim through to the next check.
    await expect(readUploadedAdapter(upload, 'moon.zip')).rejects.toThrow(/stores 4 bytes but declares/);
  });
});
