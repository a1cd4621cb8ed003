import { describe, expect, it } from 'vitest';
import { decideResponse, normaliseEtag, parseContentRange, planTransfer } from './transfer-plan';
import type { CachedFile } from './types';

const file = (over: Partial<CachedFile> = {}): CachedFile => ({ path: 'm.gguf', name: 'm.gguf', bytes: 1000, etag: 'abc', complete: false, ...over });
const facts = (status: number, over: { etag?: string | null; contentLength?: number | null; contentRange?: string | null } = {}) => ({
  status,
  etag: over.etag ?? null,
  contentLength: over.contentLength ?? null,
  contentRange: over.contentRange ?? null,
});

describe('planTransfer', () => {
  it('skips a complete file, resumes a partial one of known size, starts over otherwise', () => {
    expect(planTransfer(file({ complete: true }), 1000)).toEqual({ kind: 'done' });
    expect(planTransfer(file(), 400)).toEqual({ kind: 'resume', from: 400 });
    expect(planTransfer(file({ bytes: null }), 400)).toEqual({ kind: 'full' });
    expect(planTransfer(file(), 0)).toEqual({ kind: 'full' });
    // More stored than the file has: something else is there.
    expect(planTransfer(file(), 1200)).toEqual({ kind: 'full' });
    // Marked complete but short on disk: fetch again.
    expect(planTransfer(file({ complete: true }), 10)).toEqual({ kind: 'resume', from: 10 });
  });
});

describe('decideResponse', () => {
  const resume = { kind: 'resume', from: 400 } as const;
  it('continues at the stored bytes when the 206 matches range, size and ETag', () => {
    const d = decideResponse(resume, file(), facts(206, { etag: 'W/"abc"', contentRange: 'bytes 400-999/1000' }));
    expect(d).toEqual({ kind: 'write', from: 400, bytes: 1000, etag: 'abc' });
  });
  it('starts over when the server ignores the range (200) or the file changed', () => {
    expect(decideResponse(resume, file(), facts(200, { contentLength: 1000, etag: '"abc"' }))).toEqual({
      kind: 'write',
      from: 0,
      bytes: 1000,
      etag: 'abc',
    });
    expect(decideResponse(resume, file(), facts(206, { etag: '"xyz"', contentRange: 'bytes 400-999/1000' })).kind).toBe('restart');
    expect(decideResponse(resume, file(), facts(206, { contentRange: 'bytes 400-1199/1200' })).kind).toBe('restart');
    expect(decideResponse(resume, file(), facts(206, { contentRange: 'bytes 0-999/1000' })).kind).toBe('restart');
    expect(decideResponse(resume, file(), facts(416)).kind).toBe('restart');
  });
  it('refuses a partial answer to a full request and any other status', () => {
    expect(() => decideResponse({ kind: 'full' }, file(), facts(206, { contentRange: 'bytes 0-9/1000' }))).toThrow(/part of the file/);
    expect(() => decideResponse({ kind: 'full' }, file(), facts(500))).toThrow(/answered 500/);
  });
});

describe('header parsing', () => {
  it('reads Content-Range and normalises ETags', () => {
    expect(parseContentRange('bytes 10-19/20')).toEqual({ start: 10, end: 19, total: 20 });
    expect(parseContentRange('bytes 10-19/*')).toEqual({ start: 10, end: 19, total: null });
    expect(parseContentRange('bytes 10-30/20')).toBeNull();
    expect(parseContentRange('items 1-2/3')).toBeNull();
    expect(normaliseEtag('W/"a1"')).toBe('a1');
    expect(normaliseEtag('"a1"')).toBe('a1');
    expect(normaliseEtag('""')).toBeNull();
  });
});
