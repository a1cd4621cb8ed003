/**
 * A Train run's file and its dataset settings → what the training session reads: the examples, read by the one
 * reader with the shape, mapping and bad-row choice the Datasets view showed, and the split it showed (undefined:
 * the Train form's validation share and seed). The CLI's `webtune train` reads its file the same way from flags.
 */
import { parseDatasetBlob, type ParseResult, type SplitOptions } from '../data';
import type { DatasetSettings } from './dataset-protocol';
import type { TrainDatasetSettings } from './train-protocol';

/** A run's dataset settings from the Datasets view's: its shape, mapping and bad-row choice, and its split. */
export function runSettingsFromDatasets(settings: DatasetSettings): TrainDatasetSettings {
  const { format, mapping, onBadRow, validationFraction, seed } = settings;
  return { format, mapping, onBadRow, split: { validationFraction, seed } };
}

export interface RunDataset {
  parsed: ParseResult;
  split: SplitOptions | undefined;
}

export async function readRunDataset(blob: Blob, name: string, settings: TrainDatasetSettings): Promise<RunDataset> {
  const { format, mapping, onBadRow, split } = settings;
  const parsed = await parseDatasetBlob(blob, { file: name, format, mapping, onBadRow });
  return { parsed, split: split ?? undefined };
}
