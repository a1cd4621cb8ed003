/**
 * The Datasets view: which file is open and its summary (counts, preview rows as token spans, histogram bins, the
 * first bad rows), the settings form, and reading progress. The dataset itself stays in the engine worker.
 */
import type { StateCreator } from 'zustand';
import type { DatasetFailure, DatasetProgress, DatasetSummary } from '../../worker/dataset-protocol';
import { DEFAULT_DATASET_FORM, type DatasetFieldErrors, type DatasetForm } from '../datasets/dataset-form';
import { applyFormEdit } from './form-edit';

export type DatasetState =
  | { status: 'empty' }
  /** `summary`: the last one shown, kept on screen while new settings are applied. */
  | {
      status: 'loading';
      file: string;
      progress: DatasetProgress | null;
      summary: DatasetSummary | null;
      /** The columns known before this request, so the mapping stays on screen while it runs. */
      columns: string[];
    }
  | { status: 'ready'; summary: DatasetSummary }
  | { status: 'failed'; file: string; failure: DatasetFailure };

export interface DatasetsSlice {
  dataset: DatasetState;
  datasetForm: DatasetForm;
  datasetFieldErrors: DatasetFieldErrors;
  /** `sameFile`: new settings for the open file (its last summary and columns stay shown meanwhile). */
  datasetLoading(file: string, sameFile: boolean): void;
  datasetProgressed(progress: DatasetProgress): void;
  datasetReady(summary: DatasetSummary): void;
  datasetFailed(file: string, failure: DatasetFailure): void;
  datasetCleared(): void;
  editDatasetForm(patch: Partial<DatasetForm>): void;
  datasetFormRejected(errors: DatasetFieldErrors): void;
}

export const createDatasetsSlice: StateCreator<DatasetsSlice, [], [], DatasetsSlice> = (set) => ({
  dataset: { status: 'empty' },
  datasetForm: DEFAULT_DATASET_FORM,
  datasetFieldErrors: {},
  datasetLoading: (file, sameFile) =>
    set((state) => {
      const d = state.dataset;
      const summary = !sameFile ? null : d.status === 'ready' ? d.summary : d.status === 'loading' ? d.summary : null;
      const columns = !sameFile
        ? []
        : d.status === 'ready'
          ? d.summary.columns
          : d.status === 'loading'
            ? d.columns
            : d.status === 'failed'
              ? d.failure.columns
              : [];
      return { dataset: { status: 'loading', file, progress: null, summary, columns } };
    }),
  datasetProgressed: (progress) =>
    set((state) => (state.dataset.status === 'loading' ? { dataset: { ...state.dataset, progress } } : {})),
  datasetReady: (summary) => set({ dataset: { status: 'ready', summary } }),
  datasetFailed: (file, failure) => set({ dataset: { status: 'failed', file, failure } }),
  datasetCleared: () => set({ dataset: { status: 'empty' } }),
  editDatasetForm: (patch) =>
    set((state) => {
      const { form, errors } = applyFormEdit(state.datasetForm, state.datasetFieldErrors, patch);
      return { datasetForm: form, datasetFieldErrors: errors };
    }),
  datasetFormRejected: (errors) => set({ datasetFieldErrors: errors }),
});
