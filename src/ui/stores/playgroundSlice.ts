/**
 * The playground: which model is loaded (its summary only: the model itself stays in the worker), the form, and
 * the generation streaming in. Plain data only; the engine bridge applies streamed text at most ten times a second.
 */
import type { StateCreator } from 'zustand';
import type { BundledModel, GenerationOutcome, GenerationProgress, ModelSummary } from '../../worker/protocol';
import { DEFAULT_FORM, type FieldErrors, type PlaygroundForm } from '../playground/settings';
import { applyFormEdit } from './form-edit';
import type { Listing, ShownProblem } from './listing';

export type { ShownProblem } from './listing';

export type BundledState = Listing<'models', BundledModel[]>;

export type ModelState =
  | { status: 'empty' }
  | { status: 'loading'; label: string }
  | { status: 'ready'; summary: ModelSummary }
  | { status: 'failed'; label: string; problem: ShownProblem };

/** What the run used, to show beside its output (the form may change meanwhile). */
export interface RunInput {
  prompt: string;
  chat: boolean;
  maxTokens: number;
}

export type GenerationState =
  | { status: 'idle' }
  | { status: 'running'; input: RunInput; progress: GenerationProgress; stopping: boolean }
  | { status: 'done'; input: RunInput; outcome: GenerationOutcome }
  | { status: 'failed'; input: RunInput; text: string; problem: ShownProblem };

export interface PlaygroundSlice {
  bundled: BundledState;
  model: ModelState;
  form: PlaygroundForm;
  fieldErrors: FieldErrors;
  generation: GenerationState;
  bundledListed(models: BundledModel[]): void;
  bundledFailed(problem: ShownProblem): void;
  modelLoading(label: string): void;
  modelReady(summary: ModelSummary): void;
  modelFailed(label: string, problem: ShownProblem): void;
  modelCleared(): void;
  editForm(patch: Partial<PlaygroundForm>): void;
  formRejected(errors: FieldErrors): void;
  generationStarted(input: RunInput): void;
  generationProgressed(progress: GenerationProgress): void;
  generationStopping(): void;
  generationDone(outcome: GenerationOutcome): void;
  generationFailed(problem: ShownProblem): void;
}

const NO_PROGRESS: GenerationProgress = { text: '', tokens: 0, tokensPerSecond: null };

export const createPlaygroundSlice: StateCreator<PlaygroundSlice, [], [], PlaygroundSlice> = (set) => ({
  bundled: { status: 'loading' },
  model: { status: 'empty' },
  form: DEFAULT_FORM,
  fieldErrors: {},
  generation: { status: 'idle' },
  bundledListed: (models) => set({ bundled: { status: 'ready', models } }),
  bundledFailed: (problem) => set({ bundled: { status: 'failed', problem } }),
  // A new model makes the last output meaningless.
  modelLoading: (label) => set({ model: { status: 'loading', label }, generation: { status: 'idle' } }),
  modelReady: (summary) => set({ model: { status: 'ready', summary } }),
  modelFailed: (label, problem) => set({ model: { status: 'failed', label, problem } }),
  modelCleared: () => set({ model: { status: 'empty' }, generation: { status: 'idle' } }),
  editForm: (patch) =>
    set((state) => {
      const { form, errors } = applyFormEdit(state.form, state.fieldErrors, patch);
      return { form, fieldErrors: errors };
    }),
  formRejected: (errors) => set({ fieldErrors: errors }),
  generationStarted: (input) =>
    set({ fieldErrors: {}, generation: { status: 'running', input, progress: NO_PROGRESS, stopping: false } }),
  generationProgressed: (progress) =>
    set((state) => (state.generation.status === 'running' ? { generation: { ...state.generation, progress } } : {})),
  generationStopping: () =>
    set((state) =>
      state.generation.status === 'running' ? { generation: { ...state.generation, stopping: true } } : {},
    ),
  generationDone: (outcome) =>
    set((state) =>
      state.generation.status === 'running' ? { generation: { status: 'done', input: state.generation.input, outcome } } : {},
    ),
  generationFailed: (problem) =>
    set((state) =>
      state.generation.status === 'running'
        ? {
            generation: {
              status: 'failed',
              input: state.generation.input,
              text: state.generation.progress.text,
              problem,
            },
          }
        : {},
    ),
});
