/**
 * Models from the Hugging Face Hub: the download form, the download in progress (byte progress, applied at most
 * ten times a second by the hub bridge), the OPFS cache's listing, and the loaded model's training-memory card.
 * Plain data only; the cache and the transfers live in the engine worker.
 */
import type { StateCreator } from 'zustand';
import type { CacheListing } from '../../hub/cache-list';
import type { DownloadProgress } from '../../hub/types';
import type { TrainingMemoryFigure } from '../../worker/hub-protocol';
import { DEFAULT_HUB_FORM, type HubFieldErrors, type HubForm } from '../hub/hub-form';
import { applyFormEdit } from './form-edit';
import type { Listing } from './listing';
import type { ShownProblem } from './playgroundSlice';

export type HubDownloadState =
  | { status: 'idle' }
  | { status: 'running'; label: string; progress: DownloadProgress | null; stopping: boolean }
  | { status: 'done'; label: string; fromCache: boolean }
  | { status: 'failed'; label: string; problem: ShownProblem };

export type HubCacheState = Listing<'listing', CacheListing>;

export type ModelCardState =
  | { status: 'none' }
  | { status: 'loading'; model: string }
  | { status: 'ready'; model: string; training: TrainingMemoryFigure[] }
  | { status: 'failed'; model: string; message: string };

export interface HubSlice {
  hubForm: HubForm;
  hubFieldErrors: HubFieldErrors;
  hubDownload: HubDownloadState;
  hubCache: HubCacheState;
  /** A failed delete, shown above the cache list. */
  hubCacheProblem: ShownProblem | null;
  modelCard: ModelCardState;
  editHubForm(patch: Partial<HubForm>): void;
  hubFormRejected(errors: HubFieldErrors): void;
  hubDownloadStarted(label: string): void;
  hubDownloadProgressed(progress: DownloadProgress): void;
  hubDownloadStopping(): void;
  hubDownloadDone(fromCache: boolean): void;
  hubDownloadFailed(problem: ShownProblem): void;
  hubCacheListed(listing: CacheListing): void;
  hubCacheFailed(problem: ShownProblem): void;
  hubCacheProblemShown(problem: ShownProblem | null): void;
  modelCardLoading(model: string): void;
  modelCardReady(model: string, training: TrainingMemoryFigure[]): void;
  modelCardFailed(model: string, message: string): void;
  modelCardCleared(): void;
}

export const createHubSlice: StateCreator<HubSlice, [], [], HubSlice> = (set) => ({
  hubForm: DEFAULT_HUB_FORM,
  hubFieldErrors: {},
  hubDownload: { status: 'idle' },
  hubCache: { status: 'loading' },
  hubCacheProblem: null,
  modelCard: { status: 'none' },
  editHubForm: (patch) =>
    set((state) => {
      const { form, errors } = applyFormEdit(state.hubForm, state.hubFieldErrors, patch);
      return { hubForm: form, hubFieldErrors: errors };
    }),
  hubFormRejected: (errors) => set({ hubFieldErrors: errors }),
  hubDownloadStarted: (label) => set({ hubFieldErrors: {}, hubDownload: { status: 'running', label, progress: null, stopping: false } }),
  hubDownloadProgressed: (progress) =>
    set((state) => (state.hubDownload.status === 'running' ? { hubDownload: { ...state.hubDownload, progress } } : {})),
  hubDownloadStopping: () =>
    set((state) => (state.hubDownload.status === 'running' ? { hubDownload: { ...state.hubDownload, stopping: true } } : {})),
  hubDownloadDone: (fromCache) =>
    set((state) => (state.hubDownload.status === 'running' ? { hubDownload: { status: 'done', label: state.hubDownload.label, fromCache } } : {})),
  hubDownloadFailed: (problem) =>
    set((state) => (state.hubDownload.status === 'running' ? { hubDownload: { status: 'failed', label: state.hubDownload.label, problem } } : {})),
  hubCacheListed: (listing) => set({ hubCache: { status: 'ready', listing } }),
  hubCacheFailed: (problem) => set({ hubCache: { status: 'failed', problem } }),
  hubCacheProblemShown: (problem) => set({ hubCacheProblem: problem }),
  modelCardLoading: (model) => set({ modelCard: { status: 'loading', model } }),
  modelCardReady: (model, training) => set({ modelCard: { status: 'ready', model, training } }),
  modelCardFailed: (model, message) => set({ modelCard: { status: 'failed', model, message } }),
  modelCardCleared: () => set({ modelCard: { status: 'none' } }),
});
