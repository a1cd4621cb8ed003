/**
 * The Datasets view's settings as the user typed them (numbers stay text until checked), and their check: a form
 * becomes the worker's `DatasetSettings`, or a complaint per field saying what is allowed.
 */
import type { DatasetShape } from '../../data';
import type { DatasetSettings } from '../../worker/dataset-protocol';

export interface DatasetForm {
  format: DatasetShape | 'auto';
  mapping: Record<string, string>;
  onBadRow: 'skip' | 'fail';
  seqLen: string;
  trainOnInputs: boolean;
  /** Percent held out for validation, as typed. */
  validationPercent: string;
  seed: string;
}

export type DatasetFormField = 'seqLen' | 'validationPercent' | 'seed';
export type DatasetFieldErrors = Partial<Record<DatasetFormField, string>>;

export const DEFAULT_DATASET_FORM: DatasetForm = {
  format: 'auto',
  mapping: {},
  onBadRow: 'skip',
  seqLen: '256',
  trainOnInputs: false,
  validationPercent: '10',
  seed: '42',
};

/** Longest sequence the form accepts; the trainer's own limit is the model's context. */
export const MAX_SEQ_LEN = 32768;

function integer(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

export function parseDatasetForm(
  form: DatasetForm,
): { ok: true; settings: DatasetSettings } | { ok: false; errors: DatasetFieldErrors } {
  const errors: DatasetFieldErrors = {};
  const seqLen = integer(form.seqLen);
  if (seqLen === null || seqLen < 2 || seqLen > MAX_SEQ_LEN) {
    errors.seqLen = `A whole number of tokens from 2 to ${MAX_SEQ_LEN}.`;
  }
  const percentText = form.validationPercent.trim();
  const percent = /^\d+(\.\d+)?$/.test(percentText) ? Number(percentText) : NaN;
  if (!(percent >= 0 && percent < 100)) errors.validationPercent = 'A percentage from 0 up to (not including) 100.';
  const seed = integer(form.seed);
  if (seed === null || seed > 0xffffffff) errors.seed = 'A whole number from 0 to 4294967295.';
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    settings: {
      format: form.format,
      mapping: form.mapping,
      onBadRow: form.onBadRow,
      seqLen: seqLen!,
      trainOnInputs: form.trainOnInputs,
      validationFraction: percent / 100,
      seed: seed!,
    },
  };
}

/** Files the picker offers and the drop zone takes. */
export const DATASET_ACCEPT = '.jsonl,.json,.csv,.tsv,.parquet,.txt';
