/**
 * Resuming a transfer, decided without I/O. Before a request: what is stored and what the manifest remembers of the
 * server's file (size and ETag) decide between nothing to do, a fresh GET, or a GET with `Range: bytes=<stored>-`.
 * After the response: its status, Content-Range and ETag decide whether the bytes continue the stored ones or the
 * file must start over (the server ignored the range, or the file changed upstream).
 *
 * Only `Range` is sent, never `If-Range`: Range with one open-ended range is a CORS-safelisted header, so the
 * request needs no preflight on its way through the Hub's redirects; the ETag is compared here instead.
 */
import { HubError } from './errors';
import type { CachedFile } from './types';

export type TransferPlan = { kind: 'done' } | { kind: 'full' } | { kind: 'resume'; from: number };

export function planTransfer(file: CachedFile, stored: number): TransferPlan {
  if (file.complete && file.bytes !== null && stored === file.bytes) return { kind: 'done' };
  // Bytes are only worth keeping when we know which file they belong to and how long it is.
  if (stored > 0 && file.bytes !== null && stored < file.bytes) return { kind: 'resume', from: stored };
  return { kind: 'full' };
}

/** The headers of a response that matter here (names lower-case). */
export interface ResponseFacts {
  status: number;
  etag: string | null;
  contentLength: number | null;
  contentRange: string | null;
}

/**
 * 'write': append the body at `from` (0 = from the start, the file cut to nothing first); `bytes` is the whole
 * file's size when known. 'restart': the stored bytes cannot be continued; ask again without a range.
 */
export type ResponseDecision =
  | { kind: 'write'; from: number; bytes: number | null; etag: string | null }
  | { kind: 'restart'; reason: string };

/** "W/\"abc\"" and "\"abc\"" → "abc": the Hub's CDN and its API quote differently. */
export function normaliseEtag(etag: string | null): string | null {
  if (etag === null) return null;
  const bare = etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return bare === '' ? null : bare;
}

/** "bytes 100-199/200" → its parts; "bytes * /200" and anything malformed → null. */
export function parseContentRange(value: string | null): { start: number; end: number; total: number | null } | null {
  const m = value === null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (!m) return null;
  const [start, end] = [Number(m[1]), Number(m[2])];
  const total = m[3] === '*' ? null : Number(m[3]);
  if (end < start || (total !== null && end >= total)) return null;
  return { start, end, total };
}

/** Throws a HubError for statuses that are not a transfer (404, 401, 5xx); see describeHttpFailure for wording. */
export function decideResponse(plan: TransferPlan, file: CachedFile, facts: ResponseFacts): ResponseDecision {
  const etag = normaliseEtag(facts.etag);
  if (facts.status === 200) {
    // A full body: either we asked for one, or the server ignored our range (then the stored bytes are dropped).
    return { kind: 'write', from: 0, bytes: facts.contentLength, etag };
  }
  if (facts.status === 206) {
    if (plan.kind !== 'resume') {
      throw new HubError('bad-file', `${file.path}: the server sent part of the file although the whole was asked for.`);
    }
    const range = parseContentRange(facts.contentRange);
    if (!range) return { kind: 'restart', reason: `the server's Content-Range '${facts.contentRange ?? ''}' cannot be read` };
    if (range.start !== plan.from) return { kind: 'restart', reason: `the server resumed at byte ${range.start}, not ${plan.from}` };
    if (range.total !== null && range.total !== file.bytes) {
      return { kind: 'restart', reason: `the file is now ${range.total} bytes, not ${file.bytes}` };
    }
    if (etag !== null && file.etag !== null && etag !== file.etag) {
      return { kind: 'restart', reason: 'the file changed on the server (its ETag differs)' };
    }
    return { kind: 'write', from: plan.from, bytes: file.bytes, etag: file.etag ?? etag };
  }
  if (facts.status === 416 && plan.kind === 'resume') {
    return { kind: 'restart', reason: 'the server no longer has the requested range (the file changed)' };
  }
  throw new HubError('network', `${file.path}: the server answered ${facts.status}.`);
}
