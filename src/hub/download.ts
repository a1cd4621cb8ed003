/**
 * Downloads one model from the Hub into the cache: a GGUF file, or a Hugging Face folder (config.json and
 * tokenizer.json first, so a folder without a tokenizer is refused before its weights are fetched; then the
 * optional tokenizer/generation files; then the safetensors, single or sharded by an index).
 *
 * Every file resumes from the bytes already stored (transfer-plan.ts), within one call (a dropped connection is
 * retried at once) and across calls (a later download of the same model continues the partial entry). The entry
 * becomes `complete` only when every file arrived whole and passed a first check; an entry refused for what it is
 * (not found, no tokenizer, not a GGUF) is removed, so nothing half-made stays in the cache.
 */
import { entryFolder, entryKey, newManifest, parseManifest, storedName } from './cache-manifest';
import type { CacheStore } from './cache-store';
import { HubError } from './errors';
import { describeHttpFailure } from './http-failure';
import { resolveUrl } from './hub-url';
import { decideResponse, planTransfer, type ResponseDecision, type TransferPlan } from './transfer-plan';
import type { CacheManifest, CachedFile, DownloadProgress, HubModelRequest } from './types';

/** fetch, narrowed to what is used (tests pass a fake). */
export type HubFetch = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

export interface DownloadContext {
  fetch: HubFetch;
  store: CacheStore;
  signal: AbortSignal;
  onProgress(progress: DownloadProgress): void;
  /** Tries per file when the connection drops, each continuing from the stored bytes (default 3). */
  attempts?: number;
  /** Wait before the n-th retry: n × this (default 500 ms). */
  retryDelayMs?: number;
  /** Progress reaches the caller at most once per this many ms, besides each file's start and end (default 100). */
  progressIntervalMs?: number;
  now?: () => number;
  /** Bytes the browser still lets this origin store (null: unknown); checked before each file's body. */
  freeBytes?: () => Promise<number | null>;
}

export interface DownloadOutcome {
  manifest: CacheManifest;
  /** The whole model was already in the cache: nothing was fetched. */
  fromCache: boolean;
}

const TOKENIZER_EXTRAS = ['tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];
const INDEX = 'model.safetensors.index.json';

/** A transfer that ended before its declared size: the connection dropped (retried, resumable). */
class ShortBodyError extends Error {
  override name = 'ShortBodyError';
}

export async function downloadModel(request: HubModelRequest, ctx: DownloadContext): Promise<DownloadOutcome> {
  const job = await Job.open(request, ctx);
  if (await job.isCached()) return { manifest: job.manifest, fromCache: true };
  // Marked complete but a file is short on disk: it is fetched again, and is not loadable meanwhile.
  job.manifest = { ...job.manifest, complete: false };
  try {
    if (request.target.kind === 'gguf') await job.fetchGguf(request.target.file);
    else await job.fetchFolder(request.target.folder);
    return { manifest: await job.finish(), fromCache: false };
  } catch (error) {
    const failure = job.failure(error);
    // Interrupted or cancelled: the stored bytes are what the next try resumes from. Anything else cannot become a
    // model by trying again, so its files go.
    if (failure.kind !== 'network' && failure.kind !== 'cancelled') await ctx.store.removeFolder(job.folder).catch(() => undefined);
    throw failure;
  }
}

class Job {
  private lastProgress = -Infinity;
  private resumedFrom: number | null = null;

  private constructor(
    readonly request: HubModelRequest,
    readonly ctx: DownloadContext,
    readonly folder: string,
    public manifest: CacheManifest,
  ) {}

  static async open(request: HubModelRequest, ctx: DownloadContext): Promise<Job> {
    const folder = entryFolder(entryKey(request));
    const now = (ctx.now ?? Date.now)();
    let manifest = parseManifest(await ctx.store.readManifest(folder));
    if (!manifest) {
      // Nothing there, or something that is not a manifest of ours: start clean.
      await ctx.store.removeFolder(folder);
      manifest = newManifest(request, [], now);
    }
    return new Job(request, ctx, folder, manifest);
  }

  async isCached(): Promise<boolean> {
    if (!this.manifest.complete) return false;
    for (const file of this.manifest.files) {
      if ((await this.ctx.store.storedBytes(this.folder, storedName(file.path))) !== file.bytes) return false;
    }
    return true;
  }

  async fetchGguf(path: string): Promise<void> {
    await this.transfer(this.fileRecord(path, baseName(path)), 'required');
  }

  async fetchFolder(folder: string): Promise<void> {
    const prefix = folder ? `${folder}/` : '';
    const where = `${this.request.repo}${folder ? `/${folder}` : ''}`;
    await this.transfer(this.fileRecord(`${prefix}config.json`, 'config.json'), 'required', (error) =>
      error.kind === 'not-found' && !isRepoLevel(error)
        ? new HubError('not-found', `${where} has no config.json, so it is not a Hugging Face model folder. For a GGUF model, choose "GGUF file" and give the file's name.`)
        : error,
    );
    await this.transfer(this.fileRecord(`${prefix}tokenizer.json`, 'tokenizer.json'), 'required', (error) =>
      error.kind === 'not-found'
        ? new HubError('no-tokenizer', `${where} has no tokenizer.json: webtune needs the Hugging Face tokenizer.json beside config.json to read text. Nothing was kept.`)
        : error,
    );
    for (const name of TOKENIZER_EXTRAS) await this.transfer(this.fileRecord(`${prefix}${name}`, name), 'optional');
    const index = await this.transfer(this.fileRecord(`${prefix}${INDEX}`, INDEX), 'optional');
    const shards = index ? await this.shardsOf(index) : ['model.safetensors'];
    for (const shard of shards) {
      await this.transfer(this.fileRecord(`${prefix}${shard}`, shard), 'required', (error) =>
        error.kind === 'not-found' ? new HubError('not-found', `${where} has no ${shard}: webtune reads safetensors weights (no .bin).`) : error,
      );
    }
  }

  /** Checks what arrived is what was asked for, then marks the entry complete. */
  async finish(): Promise<CacheManifest> {
    const first = this.manifest.files[0];
    const head = await this.readStart(first, 4);
    if (this.request.target.kind === 'gguf' && head !== 'GGUF') {
      throw new HubError('bad-file', `${first.path} is not a GGUF file (it does not start with "GGUF"); nothing was kept.`);
    }
    if (this.request.target.kind === 'hf' && !head.trimStart().startsWith('{')) {
      throw new HubError('bad-file', `${first.path} is not JSON; nothing was kept.`);
    }
    this.manifest = { ...this.manifest, complete: true };
    await this.save();
    return this.manifest;
  }

  /** Any error as a HubError; connection failures name the host and the likely causes. */
  failure(error: unknown): HubError {
    if (this.ctx.signal.aborted) {
      return new HubError('cancelled', 'Download stopped. What arrived is kept: download again to continue from there.');
    }
    if (error instanceof HubError) return error;
    if (error instanceof DOMException && (error.name === 'QuotaExceededError' || error.name === 'NoModificationAllowedError')) {
      return new HubError('storage', `The browser refused to store the model (${error.name}: ${error.message}). Free some space or delete cached models.`);
    }
    const host = this.request.endpoint.replace(/^https?:\/\//, '');
    const what = error instanceof Error ? error.message : String(error);
    return new HubError(
      'network',
      `The connection to ${host} failed (${what}). Check that you are online; the studio's Content-Security-Policy also ` +
        'lets it reach only the Hugging Face Hub. What arrived is kept: download again to continue.',
    );
  }

  private fileRecord(path: string, name: string): CachedFile {
    return this.manifest.files.find((f) => f.path === path) ?? { path, name, bytes: null, etag: null, complete: false };
  }

  /**
   * Brings one file into the store, retrying dropped connections (each retry resumes). Returns false for an
   * optional file the repo does not have. `explain` rewords a refusal for this file.
   */
  private async transfer(
    file: CachedFile,
    need: 'required' | 'optional',
    explain: (error: HubError) => HubError = (e) => e,
  ): Promise<CachedFile | null> {
    const attempts = this.ctx.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transferOnce(file);
      } catch (error) {
        if (this.ctx.signal.aborted) throw error;
        if (error instanceof HubError) {
          if (need === 'optional' && error.kind === 'not-found' && !isRepoLevel(error)) {
            await this.forget(file);
            return null;
          }
          throw explain(error);
        }
        if (attempt >= attempts) throw error;
        await delay((this.ctx.retryDelayMs ?? 500) * attempt, this.ctx.signal);
      }
    }
  }

  private async transferOnce(initial: CachedFile): Promise<CachedFile> {
    const { store, signal } = this.ctx;
    const name = storedName(initial.path);
    let file = this.fileRecord(initial.path, initial.name);
    this.put(file);
    const stored = await store.storedBytes(this.folder, name);
    let plan: TransferPlan = planTransfer(file, stored);
    if (plan.kind === 'done') return file;
    const url = resolveUrl(this.request.endpoint, this.request.repo, this.request.revision, file.path);
    let decision: ResponseDecision;
    let response = await this.get(url, plan, file.path);
    decision = decideResponse(plan, file, facts(response));
    if (decision.kind === 'restart') {
      await response.body?.cancel().catch(() => undefined);
      plan = { kind: 'full' };
      response = await this.get(url, plan, file.path);
      decision = decideResponse(plan, file, facts(response));
      if (decision.kind === 'restart') throw new HubError('bad-file', `${file.path}: ${decision.reason}`);
    }
    await this.checkRoom(file.path, decision);
    // The validators are stored before the body, so an interruption leaves bytes that a resume can check against.
    file = { ...file, bytes: decision.bytes, etag: decision.etag, complete: false };
    this.put(file);
    await this.save();
    this.resumedFrom = decision.from > 0 ? decision.from : null;
    let at = decision.from;
    const writer = await store.openWriter(this.folder, name, decision.from);
    try {
      this.progress(file, at, true);
      const reader = response.body?.getReader();
      for (;;) {
        const next = reader ? await reader.read() : { done: true as const, value: undefined };
        if (next.done) break;
        if (signal.aborted) throw new DOMException('aborted', 'AbortError');
        await writer.write(next.value);
        at += next.value.byteLength;
        if (file.bytes !== null && at > file.bytes) {
          // A whole body longer than its Content-Length was sent compressed (the browser decodes it, and the
          // encoding header is hidden from cross-origin code): the length is unknown, not wrong. A range that
          // overruns is wrong.
          if (decision.from !== 0) {
            throw new HubError('bad-file', `${file.path}: the server sent more than the ${file.bytes} bytes it declared.`);
          }
          file = { ...file, bytes: null };
          this.put(file);
        }
        this.progress(file, at, false);
      }
    } finally {
      await writer.close();
    }
    if (file.bytes !== null && at < file.bytes) {
      throw new ShortBodyError(`${file.path} ended after ${at} of ${file.bytes} bytes`);
    }
    file = { ...file, bytes: at, complete: true };
    this.put(file);
    await this.save();
    this.resumedFrom = null;
    this.progress(file, at, true);
    return file;
  }

  /** Refuses a file that cannot fit the browser's storage quota before writing any of it. */
  private async checkRoom(path: string, decision: Extract<ResponseDecision, { kind: 'write' }>): Promise<void> {
    if (!this.ctx.freeBytes || decision.bytes === null) return;
    const free = await this.ctx.freeBytes();
    const needed = decision.bytes - decision.from;
    if (free !== null && needed > free) {
      const mb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);
      throw new HubError(
        'storage',
        `${path} needs ${mb(needed)} but the browser lets this site store only ${mb(Math.max(0, free))} more. Delete cached models or free disk space.`,
      );
    }
  }

  private async get(url: string, plan: TransferPlan, path: string): Promise<Response> {
    const headers: Record<string, string> = plan.kind === 'resume' ? { Range: `bytes=${plan.from}-` } : {};
    const response = await this.ctx.fetch(url, { headers, signal: this.ctx.signal });
    if (response.status === 200 || response.status === 206 || (response.status === 416 && plan.kind === 'resume')) return response;
    await response.body?.cancel().catch(() => undefined);
    throw describeHttpFailure(this.request, path, response.status, response.headers.get('x-error-code'));
  }

  private async shardsOf(index: CachedFile): Promise<string[]> {
    const blob = await this.ctx.store.readFile(this.folder, storedName(index.path));
    let json: unknown;
    try {
      json = JSON.parse(blob ? await blob.text() : '');
    } catch {
      throw new HubError('bad-file', `${index.path} is not JSON.`);
    }
    const map = typeof json === 'object' && json !== null ? (json as { weight_map?: unknown }).weight_map : undefined;
    if (typeof map !== 'object' || map === null) throw new HubError('bad-file', `${index.path} has no weight_map.`);
    const shards = [...new Set(Object.values(map))];
    if (shards.length === 0 || shards.some((s) => typeof s !== 'string' || s.includes('/') || s.includes('..'))) {
      throw new HubError('bad-file', `${index.path}: its weight_map does not name plain shard files.`);
    }
    return shards as string[];
  }

  private async readStart(file: CachedFile, length: number): Promise<string> {
    const blob = await this.ctx.store.readFile(this.folder, storedName(file.path));
    return blob ? new TextDecoder().decode(await blob.slice(0, length).arrayBuffer()) : '';
  }

  private put(file: CachedFile): void {
    const files = this.manifest.files.some((f) => f.path === file.path)
      ? this.manifest.files.map((f) => (f.path === file.path ? file : f))
      : [...this.manifest.files, file];
    this.manifest = { ...this.manifest, files, updatedAt: (this.ctx.now ?? Date.now)() };
  }

  private async forget(file: CachedFile): Promise<void> {
    this.manifest = { ...this.manifest, files: this.manifest.files.filter((f) => f.path !== file.path) };
    await this.save();
  }

  private save(): Promise<void> {
    return this.ctx.store.writeManifest(this.folder, this.manifest);
  }

  private progress(current: CachedFile, at: number, force: boolean): void {
    const now = (this.ctx.now ?? (() => performance.now()))();
    if (!force && now - this.lastProgress < (this.ctx.progressIntervalMs ?? 100)) return;
    this.lastProgress = now;
    const files = this.manifest.files;
    const done = files.filter((f) => f.complete && f.path !== current.path).reduce((n, f) => n + (f.bytes ?? 0), 0);
    const sizes = files.map((f) => f.bytes);
    this.ctx.onProgress({
      file: current.path,
      fileIndex: files.findIndex((f) => f.path === current.path),
      fileCount: files.length,
      receivedBytes: done + at,
      totalBytes: sizes.every((b): b is number => b !== null) ? sizes.reduce((a, b) => a + b, 0) : null,
      resumedFrom: this.resumedFrom,
    });
  }
}

/** Refusals about the whole repo or revision (not one file) end the download even for optional files. */
function isRepoLevel(error: HubError): boolean {
  return error.kind === 'not-found' && error.scope === 'repo';
}

function facts(response: Response) {
  const length = response.headers.get('content-length');
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : null,
    contentRange: response.headers.get('content-range'),
  };
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
