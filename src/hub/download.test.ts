import { describe, expect, it } from 'vitest';
import { entryFolder, entryKey, storedName } from './cache-manifest';
import { deleteCacheEntry, listCache, openCachedModel } from './cache-list';
import { downloadModel, type DownloadContext } from './download';
import { HubError } from './errors';
import { MemoryCacheStore } from './memory-store';
import type { DownloadProgress, HubModelRequest } from './types';

const ENDPOINT = 'http://hub.test';

interface Served {
  status: number;
  range: string | null;
  url: string;
}

/**
 * A fake Hub over a map of repo → path → bytes, with the real layout, Range support, ETags and the Hub's
 * X-Error-Code; `cut` ends the next transfer of a path after that many bytes with a network error.
 */
class FakeHub {
  readonly log: Served[] = [];
  readonly cut = new Map<string, number>();
  constructor(readonly repos: Map<string, Map<string, Uint8Array>>) {}

  etag(bytes: Uint8Array): string {
    let h = 0;
    for (const b of bytes) h = (h * 31 + b) >>> 0;
    return `"${bytes.length}-${h.toString(16)}"`;
  }

  fetch: DownloadContext['fetch'] = async (url, init) => {
    const m = /^http:\/\/hub\.test\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const range = init.headers.Range ?? null;
    const answer = (status: number, body: BodyInit | null, headers: Record<string, string> = {}) => {
      this.log.push({ status, range, url });
      return new Response(body, { status, headers });
    };
    if (!m) return answer(404, null);
    const repo = this.repos.get(m[1]);
    if (!repo) return answer(401, null, { 'X-Error-Code': 'RepoNotFound' });
    if (m[2] !== 'main') return answer(404, null, { 'X-Error-Code': 'RevisionNotFound' });
    const path = decodeURIComponent(m[3]);
    const bytes = repo.get(path);
    if (!bytes) return answer(404, null, { 'X-Error-Code': 'EntryNotFound' });
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = { ETag: this.etag(bytes), 'Accept-Ranges': 'bytes' };
    if (range) {
      start = Number(/^bytes=(\d+)-$/.exec(range)![1]);
      if (start >= bytes.length) return answer(416, null, { 'Content-Range': `bytes */${bytes.length}` });
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    }
    headers['Content-Length'] = String(bytes.length - start);
    const body = bytes.slice(start);
    const cutAt = this.cut.get(path);
    if (cutAt !== undefined) {
      this.cut.delete(path);
      return answer(status, brokenStream(body.slice(0, cutAt)), headers);
    }
    return answer(status, chunked(body), headers);
  };
}

/** The body in 1 KiB chunks, as a network delivers it. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 1024));
      at += 1024;
    },
  });
}

/** Sends these bytes, then fails as a dropped connection does. */
function brokenStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes);
      } else controller.error(new TypeError('network error'));
    },
  });
}

function patterned(n: number, seed: number, head = ''): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 255;
  out.set(new TextEncoder().encode(head));
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);
const GGUF = patterned(10_000, 3, 'GGUF');
const folderFiles = (withTokenizer: boolean) =>
  new Map<string, Uint8Array>([
    ['hf/config.json', text('{"model_type":"llama"}')],
    ...(withTokenizer ? [['hf/tokenizer.json', text('{"model":{}}')] as [string, Uint8Array]] : []),
    ['hf/tokenizer_config.json', text('{}')],
    ['hf/model.safetensors', patterned(5000, 9)],
  ]);

function setup() {
  const hub = new FakeHub(
    new Map([
      ['test/stories', new Map([['stories.gguf', GGUF], ['notes.txt', text('hello')], ...folderFiles(true)])],
      ['test/no-tokenizer', folderFiles(false)],
    ]),
  );
  const store = new MemoryCacheStore();
  const progress: DownloadProgress[] = [];
  const ctx = (signal = new AbortController().signal): DownloadContext => ({
    fetch: hub.fetch,
    store,
    signal,
    onProgress: (p) => progress.push(p),
    retryDelayMs: 0,
    progressIntervalMs: 0,
  });
  return { hub, store, progress, ctx };
}

const gguf = (file = 'stories.gguf', repo = 'test/stories'): HubModelRequest => ({
  endpoint: ENDPOINT,
  repo,
  revision: 'main',
  target: { kind: 'gguf', file },
});
const folder = (repo = 'test/stories', f = 'hf'): HubModelRequest => ({ endpoint: ENDPOINT, repo, revision: 'main', target: { kind: 'hf', folder: f } });

async function storedBytes(store: MemoryCacheStore, request: HubModelRequest, path: string): Promise<Uint8Array> {
  const blob = await store.readFile(entryFolder(entryKey(request)), storedName(path));
  return new Uint8Array(await blob!.arrayBuffer());
}

async function failure(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(() => null, (error: unknown) => error);
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

describe('downloadModel', () => {
  it('downloads a GGUF with byte progress, then serves it from the cache without a request', async () => {
    const { hub, store, progress, ctx } = setup();
    const first = await downloadModel(gguf(), ctx());
    expect(first.fromCache).toBe(false);
    expect(first.manifest.complete).toBe(true);
    expect(first.manifest.files).toEqual([
      { path: 'stories.gguf', name: 'stories.gguf', bytes: 10_000, etag: hub.etag(GGUF).slice(1, -1), complete: true },
    ]);
    expect(await storedBytes(store, gguf(), 'stories.gguf')).toEqual(GGUF);
    expect(progress.at(-1)).toMatchObject({ receivedBytes: 10_000, totalBytes: 10_000, file: 'stories.gguf' });
    const received = progress.map((p) => p.receivedBytes);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    expect(progress.length).toBeGreaterThan(5);

    const requests = hub.log.length;
    const again = await downloadModel(gguf(), ctx());
    expect(again.fromCache).toBe(true);
    expect(hub.log.length).toBe(requests);
  });

  it('continues a transfer cut mid-way with a Range request from the stored bytes', async () => {
    const { hub, store, ctx } = setup();
    hub.cut.set('stories.gguf', 4096);
    await downloadModel(gguf(), ctx());
    expect(hub.log.map((r) => [r.status, r.range])).toEqual([
      [200, null],
      [206, 'bytes=4096-'],
    ]);
    expect(await storedBytes(store, gguf(), 'stories.gguf')).toEqual(GGUF);
  });

  it('keeps the bytes of an interrupted download and resumes them on the next call', async () => {
    const { hub, store, ctx } = setup();
    hub.cut.set('stories.gguf', 3000);
    const offline: DownloadContext = { ...ctx(), attempts: 1 };
    const error = await failure(downloadModel(gguf(), offline));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/hub\.test.*continue/);
    const listing = await listCache(store);
    expect(listing.entries).toMatchObject([{ complete: false, storedBytes: 3000, totalBytes: 10_000 }]);
    await expect(openCachedModel(store, listing.entries[0].key)).rejects.toThrow(/not finished downloading/);

    await downloadModel(gguf(), ctx());
    expect(hub.log.at(-1)).toMatchObject({ status: 206, range: 'bytes=3000-' });
    expect(await storedBytes(store, gguf(), 'stories.gguf')).toEqual(GGUF);
  });

  it('starts over when the file changed upstream between the cut and the resume', async () => {
    const { hub, store, ctx } = setup();
    hub.cut.set('stories.gguf', 3000);
    await failure(downloadModel(gguf(), { ...ctx(), attempts: 1 }));
    const changed = patterned(10_000, 77, 'GGUF');
    hub.repos.get('test/stories')!.set('stories.gguf', changed);
    await downloadModel(gguf(), ctx());
    // The 206 carried another ETag, so the stored bytes were dropped and the whole file fetched again.
    expect(hub.log.slice(-2).map((r) => [r.status, r.range])).toEqual([
      [206, 'bytes=3000-'],
      [200, null],
    ]);
    expect(await storedBytes(store, gguf(), 'stories.gguf')).toEqual(changed);
  });

  it('downloads a folder: config, tokenizer, optional files when present, weights', async () => {
    const { hub, ctx } = setup();
    const { manifest } = await downloadModel(folder(), ctx());
    expect(manifest.files.map((f) => f.name)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    // The optional files the repo lacks were asked for once and left out.
    expect(hub.log.filter((r) => r.status === 404).map((r) => r.url.split('/').at(-1))).toEqual([
      'special_tokens_map.json',
      'generation_config.json',
      'model.safetensors.index.json',
    ]);
  });

  it('downloads the shards a safetensors index names', async () => {
    const { hub, ctx } = setup();
    const files = folderFiles(true);
    files.delete('hf/model.safetensors');
    const index = { metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } };
    files.set('hf/model.safetensors.index.json', text(JSON.stringify(index)));
    files.set('hf/model-00001-of-00002.safetensors', patterned(300, 1));
    files.set('hf/model-00002-of-00002.safetensors', patterned(200, 2));
    hub.repos.set('test/sharded', files);
    const { manifest } = await downloadModel(folder('test/sharded'), ctx());
    expect(manifest.files.map((f) => [f.name, f.bytes])).toEqual([
      ['config.json', 22],
      ['tokenizer.json', 12],
      ['tokenizer_config.json', 2],
      ['model.safetensors.index.json', JSON.stringify(index).length],
      ['model-00001-of-00002.safetensors', 300],
      ['model-00002-of-00002.safetensors', 200],
    ]);
  });

  it('fetches again a file of a complete entry that is short on disk, and is not complete meanwhile', async () => {
    const { hub, store, ctx } = setup();
    await downloadModel(gguf(), ctx());
    const files = store.entries.get(entryFolder(entryKey(gguf())))!.files;
    files.set(storedName('stories.gguf'), GGUF.slice(0, 6000));
    hub.cut.set('stories.gguf', 1000);
    await failure(downloadModel(gguf(), { ...ctx(), attempts: 1 }));
    expect((await listCache(store)).entries).toMatchObject([{ complete: false, storedBytes: 7000 }]);
    await downloadModel(gguf(), ctx());
    expect(hub.log.slice(-2).map((r) => r.range)).toEqual(['bytes=6000-', 'bytes=7000-']);
    expect(await storedBytes(store, gguf(), 'stories.gguf')).toEqual(GGUF);
  });

  it('refuses a folder without tokenizer.json before fetching weights, and keeps nothing', async () => {
    const { hub, store, ctx } = setup();
    const error = await failure(downloadModel(folder('test/no-tokenizer'), ctx()));
    expect(error.kind).toBe('no-tokenizer');
    expect(error.message).toContain('test/no-tokenizer/hf has no tokenizer.json');
    expect(hub.log.some((r) => r.url.endsWith('model.safetensors'))).toBe(false);
    expect(store.entries.size).toBe(0);
  });

  it('names what is missing: repository, revision or file', async () => {
    const { store, ctx } = setup();
    expect((await failure(downloadModel(gguf('x.gguf', 'test/nope'), ctx()))).message).toMatch(/no repository test\/nope/);
    expect((await failure(downloadModel({ ...gguf(), revision: 'v9' }, ctx()))).message).toMatch(/no branch, tag or commit 'v9'/);
    const missing = await failure(downloadModel(gguf('missing.gguf'), ctx()));
    expect([missing.kind, missing.message]).toEqual(['not-found', 'test/stories has no file missing.gguf at revision main.']);
    expect(store.entries.size).toBe(0);
  });

  it('refuses a file that is not a GGUF and removes what it stored', async () => {
    const { store, ctx } = setup();
    const error = await failure(downloadModel(gguf('notes.txt'), ctx()));
    expect(error.kind).toBe('bad-file');
    expect(store.entries.size).toBe(0);
  });

  it('stops when cancelled, keeping what arrived for a later resume', async () => {
    const { store, ctx } = setup();
    const controller = new AbortController();
    const context = ctx(controller.signal);
    context.onProgress = (p) => {
      if (p.receivedBytes >= 2048) controller.abort();
    };
    const error = await failure(downloadModel(gguf(), context));
    expect(error.kind).toBe('cancelled');
    const [entry] = (await listCache(store)).entries;
    expect(entry.complete).toBe(false);
    expect(entry.storedBytes).toBeGreaterThanOrEqual(2048);
  });
});

describe('declared lengths', () => {
  it('accepts a whole body longer than its Content-Length (sent compressed), taking its real length', async () => {
    const { store, ctx } = setup();
    const compressed: DownloadContext['fetch'] = async () =>
      new Response(chunked(GGUF), { status: 200, headers: { 'Content-Length': '3000', ETag: '"z"' } });
    const { manifest } = await downloadModel(gguf(), { ...ctx(), fetch: compressed });
    expect(manifest.files[0]).toMatchObject({ bytes: 10_000, complete: true });
    expect(await storedBytes(store, gguf(), 'stories.gguf')).toEqual(GGUF);
  });
});

describe('storage room', () => {
  it('refuses a file larger than the storage the browser allows, before writing, and keeps nothing', async () => {
    const { hub, store, ctx } = setup();
    const error = await failure(downloadModel(gguf(), { ...ctx(), freeBytes: async () => 4000 }));
    expect([error.kind, error.message]).toEqual([
      'storage',
      'stories.gguf needs 10.0 kB but the browser lets this site store only 4.0 kB more. Delete cached models or free disk space.',
    ]);
    expect(hub.log).toHaveLength(1);
    expect(store.entries.size).toBe(0);
    await downloadModel(gguf(), { ...ctx(), freeBytes: async () => 20_000 });
  });
});

describe('cache listing', () => {
  it('lists entries with sizes, opens complete ones by name, deletes', async () => {
    const { store, ctx } = setup();
    await downloadModel(gguf(), ctx());
    await downloadModel(folder(), ctx());
    const listing = await listCache(store);
    expect(listing.entries.map((e) => [e.label, e.format, e.complete])).toEqual(
      expect.arrayContaining([
        ['test/stories · stories.gguf', 'gguf', true],
        ['test/stories · hf/', 'hf', true],
      ]),
    );
    expect(listing.totalBytes).toBe(listing.entries.reduce((n, e) => n + e.storedBytes, 0));
    const hf = listing.entries.find((e) => e.format === 'hf')!;
    const opened = await openCachedModel(store, hf.key);
    expect([...opened.files.keys()]).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    await deleteCacheEntry(store, hf.key);
    expect((await listCache(store)).entries.map((e) => e.format)).toEqual(['gguf']);
    await expect(openCachedModel(store, hf.key)).rejects.toThrow(/no longer in the cache/);
  });

  it('refuses a complete entry whose file was truncated on disk', async () => {
    const { store, ctx } = setup();
    await downloadModel(gguf(), ctx());
    const files = store.entries.get(entryFolder(entryKey(gguf())))!.files;
    files.set(storedName('stories.gguf'), GGUF.slice(0, 100));
    await expect(openCachedModel(store, entryKey(gguf()))).rejects.toThrow(/damaged \(100 of 10000 bytes\)/);
  });
});
