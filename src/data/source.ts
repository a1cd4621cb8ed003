/**
 * Where a dataset comes from in the studio: a file the user gave, or the sample shipped with it (fetched from the
 * app's own origin, see src/worker/dataset-source.ts). One type for the Datasets view, Train runs and Compare.
 */
import { SAMPLE_DATASET } from './sample-dataset';

export type DatasetSource = { kind: 'file'; file: File } | { kind: 'sample' };

/** The name messages and run records use: the file's name, or the sample's. */
export function datasetSourceName(source: DatasetSource): string {
  return source.kind === 'file' ? source.file.name : SAMPLE_DATASET.url.split('/').at(-1)!;
}
