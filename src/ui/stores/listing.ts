/**
 * A list the studio reads once and shows (the library's adapters, the bundled models, the comparison history, the
 * model cache): being read, read (the value under the name the views use), or failed with a problem to show.
 */

/** A problem to show where it happened: a title for the heading, the engine's or loader's message as is. */
export interface ShownProblem {
  title: string;
  message: string;
}

export type Listing<Name extends string, T> =
  | { status: 'loading' }
  | ({ status: 'ready' } & { [K in Name]: T })
  | { status: 'failed'; problem: ShownProblem };
