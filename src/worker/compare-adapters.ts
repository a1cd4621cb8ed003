/**
 * The library adapters of a comparison, read from the library (IndexedDB record + PEFT files in OPFS) and fitted
 * to the loaded base before any GPU work: an adapter made for another base is refused here, naming both, so a
 * comparison never stops half-way on a setup mistake.
 */
import { AdapterMismatchError } from '../adapters/fit';
import { type AnyAdapter } from '../adapters/any-adapter';
import { getAdapterRecord, loadAnyAdapter } from '../library/adapter-library';
import { ModelFormatError } from '../model/errors';
import type { CompareColumn, CompareProblem } from './compare-protocol';
import type { ModelSession } from './model-session';

/** A comparison that cannot start; `problem` says which adapter and why. */
export class CompareSetupError extends Error {
  constructor(readonly problem: CompareProblem) {
    super(problem.message);
    this.name = 'CompareSetupError';
  }
}

/** Each column's adapter in the base's q/k row layout (null for the base column), in column order. */
export async function fitColumnAdapters(columns: readonly CompareColumn[], session: ModelSession): Promise<(AnyAdapter | null)[]> {
  const base = { config: session.files.config, name: session.summary.name };
  const fitted: (AnyAdapter | null)[] = [];
  for (const column of columns) {
    if (column.adapterId === null) {
      fitted.push(null);
      continue;
    }
    const record = await getAdapterRecord(column.adapterId);
    const name = record?.name ?? column.label;
    if (!record) {
      throw new CompareSetupError({ kind: 'adapter-missing', message: `Adapter '${name}' is no longer in the library.` });
    }
    try {
      fitted.push(await loadAnyAdapter(column.adapterId, { base }));
    } catch (error) {
      if (error instanceof AdapterMismatchError) {
        throw new CompareSetupError({ kind: 'adapter-mismatch', message: `Adapter '${name}': ${error.message}.` });
      }
      if (error instanceof ModelFormatError || error instanceof DOMException) {
        throw new CompareSetupError({ kind: 'adapter-missing', message: `Adapter '${name}' could not be read: ${error.message}` });
      }
      throw error;
    }
  }
  return fitted;
}
