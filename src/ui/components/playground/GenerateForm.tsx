/**
 * The prompt and its settings. Generate submits (also Ctrl/⌘+Enter in the prompt); Stop ends a running
 * generation after its current token. Sampling-only fields are disabled while Greedy is on, since greedy ignores them.
 */
import type { FormEvent, KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { startGeneration, stopGeneration } from '../../engineBridge';
import { SAMPLING_ONLY, type NumberField } from '../../playground/settings';
import { useStudio } from '../../stores/studio';
import { SettingField } from './SettingField';

const FIELDS: { field: NumberField; label: string; hint: string }[] = [
  { field: 'maxTokens', label: 'Max tokens', hint: 'New tokens at most.' },
  { field: 'temperature', label: 'Temperature', hint: 'Higher is more varied.' },
  { field: 'topK', label: 'Top-k', hint: '0 keeps every token.' },
  { field: 'topP', label: 'Top-p', hint: 'Nucleus mass, up to 1.' },
  { field: 'repetitionPenalty', label: 'Repetition penalty', hint: '1 is off.' },
  { field: 'seed', label: 'Seed', hint: 'Same seed, same text.' },
];

export function GenerateForm() {
  const { prompt, chat, greedy, editForm } = useStudio(
    useShallow((state) => ({
      prompt: state.form.prompt,
      chat: state.form.chat,
      greedy: state.form.greedy,
      editForm: state.editForm,
    })),
  );
  const modelReady = useStudio((state) => state.model.status === 'ready');
  const { running, stopping } = useStudio(
    useShallow((state) => ({
      running: state.generation.status === 'running',
      stopping: state.generation.status === 'running' && state.generation.stopping,
    })),
  );
  const canGenerate = modelReady && !running;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canGenerate) void startGeneration();
  };
  const onPromptKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (canGenerate) void startGeneration();
    }
  };
  return (
    <section className="panel" aria-labelledby="prompt-title">
      <form className="generate-form" onSubmit={submit} noValidate>
        <div className="panel-head">
          <h3 id="prompt-title">Generate</h3>
          <div className="toggles">
            <label className="toggle">
              <input type="checkbox" checked={chat} onChange={(e) => editForm({ chat: e.currentTarget.checked })} />
              Chat
            </label>
            <label className="toggle">
              <input type="checkbox" checked={greedy} onChange={(e) => editForm({ greedy: e.currentTarget.checked })} />
              Greedy
            </label>
          </div>
        </div>
        <label htmlFor="prompt" className="field-label">
          Prompt
        </label>
        <textarea
          id="prompt"
          className="prompt"
          rows={3}
          value={prompt}
          aria-describedby="prompt-hint"
          onChange={(event) => editForm({ prompt: event.currentTarget.value })}
          onKeyDown={onPromptKey}
        />
        <p id="prompt-hint" className="field-hint">
          {chat
            ? 'Sent as a user turn through the model’s chat template.'
            : 'Continued as plain text.'}{' '}
          Ctrl+Enter generates.
        </p>
        <div className="settings-grid">
          {FIELDS.map(({ field, label, hint }) => (
            <SettingField
              key={field}
              field={field}
              label={label}
              hint={greedy && SAMPLING_ONLY.includes(field) ? 'Off while greedy.' : hint}
              disabled={greedy && SAMPLING_ONLY.includes(field)}
            />
          ))}
        </div>
        <div className="generate-actions">
          {/* aria-disabled rather than disabled: a pressed button keeps keyboard focus while it is unavailable. */}
          <button type="submit" className="button" aria-disabled={!canGenerate} aria-describedby="generate-hint">
            Generate
          </button>
          <button
            type="button"
            className="button secondary"
            aria-disabled={!running || stopping}
            onClick={() => {
              if (running && !stopping) stopGeneration();
            }}
          >
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
          <p id="generate-hint" className="muted generate-hint">
            {!modelReady ? 'Load a model first.' : running ? 'Generating…' : greedy ? 'Greedy: always the likeliest token.' : 'Sampling with the settings above.'}
          </p>
        </div>
      </form>
    </section>
  );
}
