/**
 * A Train run's file and its dataset settings → what the training session streams: the file, read by the one
 * reader with the shape, mapping and bad-row choice the Datasets view showed, and the split it showed (undefined:
 * the Train form's validation share and seed). The CLI's `webtune train` reads its file the same way from flags.
 */
import type { DatasetReadSettings, SplitOptions } from '../data';
import type { DatasetSettings } from './dataset-protocol';
import type { TrainDatasetSettings } from './train-protocol';

/** A run's dataset settings from the Datasets view's: its shape, mapping and bad-row choice, and its split. */
export function runSettingsFromDatasets(settings: DatasetSettings): TrainDatasetSettings {
  const { format, mapping, onBadRow, validationFraction, seed } = settings;
  return { format, mapping, onBadRow, split: { validationFraction, seed } };
}

/** What the training session streams: the file and how to read it, and the split (undefined: the form's). */
export interface RunDataset {
  dataset: { blob: Blob; read: DatasetReadSettings };
  split: SplitOptions | undefined;
}

export function runDatasetOf(blob: Blob, settings: TrainDatasetSettings): RunDataset {
  const { format, mapping, onBadRow, split } = settings;
  return { dataset: { blob, read: { format, mapping, onBadRow } }, split: split ?? undefined };
}
