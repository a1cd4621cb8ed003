/**
 * What the fuzzer needs of a reader: valid seed files (with where their lengths live), a generator of files from
 * nothing, the product's own read path for one file, and which errors are the reader's typed refusals.
 */
import type { DataRng } from '../../data/rng';
import type { SeedLayout } from '../fields';

export interface FuzzSeed {
  name: string;
  bytes: Uint8Array;
  layout: SeedLayout;
}

export interface FuzzTarget {
  name: string;
  /** Valid files of the format; each must read without error (the run checks this first). */
  seeds(): Promise<FuzzSeed[]>;
  generate(rng: DataRng): Uint8Array | Promise<Uint8Array>;
  /**
   * Reads one file as the studio does after a drop, to the end (every tensor decoded, every row parsed). `seed`:
   * the name of the seed it was mutated from (null when generated), for a target whose seeds are different files.
   */
  read(bytes: Uint8Array, seed: string | null): Promise<void>;
  /** The reader's own errors: a refusal with a message for the user. */
  typed(error: unknown): boolean;
}

/**
 * JavaScript's own errors from the engine (an allocation or index that no check stopped, a stack overflow):
 * never a refusal, even when a wrapper turned them into one, so the cause chain is searched.
 */
const ENGINE_RANGE_ERROR =
  /Invalid (typed )?array length|Array buffer allocation failed|Maximum call stack|Invalid string length|out of (bounds|range)|Invalid DataView|outside the bounds|Invalid atomic access|Start offset|byte length/i;

export function engineFailure(error: unknown): string | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof RangeError && ENGINE_RANGE_ERROR.test(e.message)) return `${e.name}: ${e.message}`;
    if (e instanceof TypeError || e instanceof SyntaxError || e instanceof ReferenceError) return `${e.name}: ${e.message}`;
  }
  return null;
}

/** An error of one of `classes`, none of whose causes is an engine failure. */
export function typedBy(...classes: (abstract new (...args: never[]) => Error)[]): (error: unknown) => boolean {
  return (error) => classes.some((c) => error instanceof c) && engineFailure(error) === null;
}
