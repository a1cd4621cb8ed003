/**
 * The one way a request fails: the worker answers `{kind, id, ok: false, error}` with an EngineErrorDetail, and
 * the client rejects with an EngineError carrying it. The detail names its domain and keeps that domain's own
 * typed problem (a device failure with `secureContext`, a train failure with its setting, a dataset failure with
 * its bad rows and columns), so every view still words it for itself.
 */
import type { CompareProblem } from './compare-protocol';
import type { DatasetFailure } from './dataset-protocol';
import type { EngineFailure, TaskProblem } from './engine-types';
import type { HubProblem } from './hub-protocol';
import type { LibraryProblem } from './library-protocol';
import type { TrainFailure } from './train-protocol';

/** The message itself was wrong: a kind the worker does not know, or a reply of another kind than asked. */
export interface ProtocolProblem {
  kind: 'unknown-kind' | 'unexpected-reply' | 'bad-message';
  message: string;
}

/** domain → its problem type. 'device': the request needed a device and none could be had (or no worker). */
export interface ErrorDomains {
  device: EngineFailure;
  task: TaskProblem;
  dataset: DatasetFailure;
  train: TrainFailure;
  library: LibraryProblem;
  compare: CompareProblem;
  hub: HubProblem;
  protocol: ProtocolProblem;
}

export type ErrorDomain = keyof ErrorDomains;

export type EngineErrorDetail = { [D in ErrorDomain]: { domain: D } & ErrorDomains[D] }[ErrorDomain];

/** A failed request, in the worker (thrown by a handler, answered by the router) and in the studio (rejected). */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(readonly detail: EngineErrorDetail) {
    super(detail.message);
  }
}

/** The problem `error` carries when it is an EngineError of `domain`, else null. */
export function engineProblem<D extends ErrorDomain>(error: unknown, domain: D): Extract<EngineErrorDetail, { domain: D }> | null {
  if (!(error instanceof EngineError)) return null;
  const { detail } = error;
  return isOf(detail, domain) ? detail : null;
}

function isOf<D extends ErrorDomain>(detail: EngineErrorDetail, domain: D): detail is Extract<EngineErrorDetail, { domain: D }> {
  return detail.domain === domain;
}

/**
 * Runs `work`; what it throws becomes an EngineError with `detailOf`'s detail (one already an EngineError passes
 * as it is), so a domain's handlers fail with that domain's problems.
 */
export async function failingWith<T>(detailOf: (error: unknown) => EngineErrorDetail, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof EngineError ? error : new EngineError(detailOf(error));
  }
}
