/**
 * The prompt form the Playground and Compare share: the prompt, the Chat and Greedy toggles, the sampling settings
 * and Start/Stop. The start button submits (also Ctrl/⌘+Enter in the prompt); Stop ends the run after its current
 * token. Sampling-only fields are disabled while Greedy is on, since greedy ignores them. Each caller binds its own
 * store values, ids and wording.
 */
import type { FormEvent, KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { type FieldErrors, NUMBER_FIELDS, type NumberField, type PlaygroundForm, SAMPLING_ONLY } from '../../playground/settings';
import { type StudioState, useStudio } from '../../stores/studio';
import { NumberBox } from '../NumberBox';

const LABELS: Record<NumberField, string> = {
  maxTokens: 'Max tokens',
  temperature: 'Temperature',
  topK: 'Top-k',
  topP: 'Top-p',
  repetitionPenalty: 'Repetition penalty',
  seed: 'Seed',
};

const HINTS: Record<Exclude<NumberField, 'maxTokens' | 'seed'>, string> = {
  temperature: 'Higher is more varied.',
  topK: '0 keeps every token.',
  topP: 'Nucleus mass, up to 1.',
  repetitionPenalty: '1 is off.',
};

const DECIMAL: readonly NumberField[] = ['temperature', 'topP', 'repetitionPenalty'];

export interface PromptFormProps {
  /** Element ids; each setting's box is `${ids.setting}-${field}`, and `status` ties the hint to the start button. */
  ids: { title: string; prompt: string; setting: string; status?: string };
  title: string;
  prompt: { label: string; hiddenLabel: boolean; rows: number };
  /** What Max tokens and Seed mean here (the other settings mean the same everywhere). */
  hints: { maxTokens: string; seed: string };
  /** The start button's label, and what Ctrl+Enter does ("generates"). */
  action: { label: string; shortcut: string };
  /** The line beside the buttons once a model is loaded: while running, and otherwise. */
  status: { running: string; idle(form: PlaygroundForm): string };
  /** Where this form's values, complaints and run live in the store. */
  bind(state: StudioState): PromptBinding;
  start(): void;
  stop(): void;
}

export interface PromptBinding {
  form: PlaygroundForm;
  errors: FieldErrors;
  edit(patch: Partial<PlaygroundForm>): void;
  run: { status: 'running'; stopping: boolean } | { status: 'idle' | 'done' | 'failed' };
}

export function PromptForm(props: PromptFormProps) {
  const { ids, bind } = props;
  const { form, errors, edit, running, stopping } = useStudio(
    useShallow((state) => {
      const { run, ...values } = bind(state);
      return { ...values, running: run.status === 'running', stopping: run.status === 'running' && run.stopping };
    }),
  );
  const modelReady = useStudio((state) => state.model.status === 'ready');
  const canStart = modelReady && !running;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canStart) props.start();
  };
  const onPromptKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (canStart) props.start();
    }
  };
  const hints: Record<NumberField, string> = { ...HINTS, ...props.hints };
  return (
    <section className="panel" aria-labelledby={ids.title}>
      <form className="generate-form" onSubmit={submit} noValidate>
        <div className="panel-head">
          <h3 id={ids.title}>{props.title}</h3>
          <div className="toggles">
            <label className="toggle">
              <input type="checkbox" checked={form.chat} onChange={(e) => edit({ chat: e.currentTarget.checked })} />
              Chat
            </label>
            <label className="toggle">
              <input type="checkbox" checked={form.greedy} onChange={(e) => edit({ greedy: e.currentTarget.checked })} />
              Greedy
            </label>
          </div>
        </div>
        <label htmlFor={ids.prompt} className={props.prompt.hiddenLabel ? 'visually-hidden' : 'field-label'}>
          {props.prompt.label}
        </label>
        <textarea
          id={ids.prompt}
          className="prompt"
          rows={props.prompt.rows}
          value={form.prompt}
          aria-describedby={`${ids.prompt}-hint`}
          onChange={(event) => edit({ prompt: event.currentTarget.value })}
          onKeyDown={onPromptKey}
        />
        <p id={`${ids.prompt}-hint`} className="field-hint">
          {form.chat ? 'Sent as a user turn through the model’s chat template.' : 'Continued as plain text.'} Ctrl+Enter{' '}
          {props.action.shortcut}.
        </p>
        <div className="settings-grid">
          {NUMBER_FIELDS.map((field) => {
            const off = form.greedy && SAMPLING_ONLY.includes(field);
            return (
              <NumberBox
                key={field}
                id={`${ids.setting}-${field}`}
                label={LABELS[field]}
                hint={off ? 'Off while greedy.' : hints[field]}
                value={form[field]}
                error={errors[field]}
                decimal={DECIMAL.includes(field)}
                disabled={off}
                onChange={(text) => edit({ [field]: text })}
              />
            );
          })}
        </div>
        <div className="generate-actions">
          {/* aria-disabled rather than disabled: a pressed button keeps keyboard focus while it is unavailable. */}
          <button type="submit" className="button" aria-disabled={!canStart} aria-describedby={ids.status}>
            {props.action.label}
          </button>
          <button
            type="button"
            className="button secondary"
            aria-disabled={!running || stopping}
            onClick={() => {
              if (running && !stopping) props.stop();
            }}
          >
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
          <p id={ids.status} className="muted generate-hint">
            {!modelReady ? 'Load a model first.' : running ? props.status.running : props.status.idle(form)}
          </p>
        </div>
      </form>
    </section>
  );
}
