/**
 * The prompt and sampling settings every column uses (the Playground's form and checks). Compare submits (also
 * Ctrl/⌘+Enter in the prompt); Stop ends the column in progress after its token and skips the rest.
 */
import type { FormEvent, KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { startComparison, stopComparison } from '../../compare/compare-bridge';
import { type NumberField, SAMPLING_ONLY } from '../../playground/settings';
import { useStudio } from '../../stores/studio';
import { NumberBox } from '../NumberBox';

const FIELDS: { field: NumberField; label: string; hint: string }[] = [
  { field: 'maxTokens', label: 'Max tokens', hint: 'Per column.' },
  { field: 'temperature', label: 'Temperature', hint: 'Higher is more varied.' },
  { field: 'topK', label: 'Top-k', hint: '0 keeps every token.' },
  { field: 'topP', label: 'Top-p', hint: 'Nucleus mass, up to 1.' },
  { field: 'repetitionPenalty', label: 'Repetition penalty', hint: '1 is off.' },
  { field: 'seed', label: 'Seed', hint: 'The same in every column.' },
];

export function ComparePromptForm() {
  const { form, errors, edit } = useStudio(
    useShallow((s) => ({ form: s.compareForm, errors: s.compareFieldErrors, edit: s.editCompareForm })),
  );
  const modelReady = useStudio((s) => s.model.status === 'ready');
  const { running, stopping } = useStudio(
    useShallow((s) => ({
      running: s.compareRun.status === 'running',
      stopping: s.compareRun.status === 'running' && s.compareRun.stopping,
    })),
  );
  const canCompare = modelReady && !running;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canCompare) void startComparison();
  };
  const onPromptKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (canCompare) void startComparison();
    }
  };
  return (
    <section className="panel" aria-labelledby="compare-prompt-title">
      <form className="generate-form" onSubmit={submit} noValidate>
        <div className="panel-head">
          <h3 id="compare-prompt-title">Prompt</h3>
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
        <label htmlFor="compare-prompt" className="visually-hidden">
          Comparison prompt
        </label>
        <textarea
          id="compare-prompt"
          className="prompt"
          rows={2}
          value={form.prompt}
          aria-describedby="compare-prompt-hint"
          onChange={(e) => edit({ prompt: e.currentTarget.value })}
          onKeyDown={onPromptKey}
        />
        <p id="compare-prompt-hint" className="field-hint">
          {form.chat ? 'Sent as a user turn through the model’s chat template.' : 'Continued as plain text.'} Ctrl+Enter
          compares.
        </p>
        <div className="settings-grid">
          {FIELDS.map(({ field, label, hint }) => {
            const off = form.greedy && SAMPLING_ONLY.includes(field);
            return (
              <NumberBox
                key={field}
                id={`compare-${field}`}
                label={label}
                hint={off ? 'Off while greedy.' : hint}
                value={form[field]}
                error={errors[field]}
                decimal={field === 'temperature' || field === 'topP' || field === 'repetitionPenalty'}
                disabled={off}
                onChange={(text) => edit({ [field]: text })}
              />
            );
          })}
        </div>
        <div className="generate-actions">
          <button type="submit" className="button" aria-disabled={!canCompare}>
            Compare
          </button>
          <button
            type="button"
            className="button secondary"
            aria-disabled={!running || stopping}
            onClick={() => {
              if (running && !stopping) stopComparison();
            }}
          >
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
          <p className="muted generate-hint">
            {!modelReady ? 'Load a model first.' : running ? 'Comparing…' : 'Columns run one after another on the GPU.'}
          </p>
        </div>
      </form>
    </section>
  );
}
