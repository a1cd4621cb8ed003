/**
 * The Train form's "Advanced" section: every setting most runs leave alone, grouped as the table's settings are
 * (LoRA, optimizer, data, validation), then the samples made during a run and the memory budget.
 */
import { Fragment, type ReactNode } from 'react';
import type { LoraTarget } from '../../../model/lora-targets';
import { SETTINGS, trainsLoraPairs } from '../../../train/settings';
import { useStudio } from '../../stores/studio';
import type { SwitchKey } from '../../train/form-settings';
import { TrainSetting, type TrainSettingField, TrainSwitch } from './TrainFields';

function Targets() {
  const targets = useStudio((state) => state.trainForm.targets);
  const error = useStudio((state) => state.trainFieldErrors.targets);
  const edit = useStudio((state) => state.editTrainForm);
  const toggle = (t: LoraTarget, on: boolean) => edit({ targets: on ? [...targets, t] : targets.filter((x) => x !== t) });
  const { label, hint, items } = SETTINGS.targets;
  return (
    <fieldset className={`train-targets${error ? ' invalid' : ''}`} aria-describedby="train-targets-note">
      <legend>{label}</legend>
      <div className="chips">
        {items.map((t) => (
          <label key={t} className="toggle">
            <input type="checkbox" checked={targets.includes(t)} onChange={(event) => toggle(t, event.currentTarget.checked)} />
            {t}
          </label>
        ))}
      </div>
      <p id="train-targets-note" className={error ? 'field-error' : 'field-hint'}>
        {error ?? hint}
      </p>
    </fieldset>
  );
}

/** The Advanced section's groups, in order: a heading, its fields in a grid, its switches, then what follows. */
const ADVANCED: readonly { title: string; fields: readonly TrainSettingField[]; switches: readonly SwitchKey[]; after?: ReactNode }[] = [
  { title: 'LoRA', fields: ['alpha', 'dropout', 'loraPlusRatio', 'quant'], switches: ['rsLora', 'checkpointing'], after: <Targets /> },
  {
    title: 'Optimizer and schedule',
    fields: ['schedule', 'warmupSteps', 'minLrRatio', 'weightDecay', 'maxGradNorm', 'gradAccum', 'beta1', 'beta2', 'eps'],
    switches: [],
  },
  { title: 'Data', fields: ['valPercent', 'overLength', 'shuffleWindow', 'seed'], switches: ['trainOnInputs', 'pack'] },
  { title: 'Validation and checkpoints', fields: ['evalEvery', 'saveEvery', 'patience'], switches: ['keepBest'] },
  { title: 'Samples and memory', fields: ['sampleEvery', 'sampleTokens', 'budgetMiB'], switches: [], after: <SamplePrompts /> },
];

/** The LoRA group as IA³ and prompt tuning show it: only what is not LoRA's own (the base's storage, checkpointing). */
const BASE_GROUP = { title: 'Base and memory', fields: ['quant'], switches: ['checkpointing'] } as const;

export function AdvancedSettings() {
  const method = useStudio((state) => state.trainForm.method);
  const groups = trainsLoraPairs(method) ? ADVANCED : [BASE_GROUP, ...ADVANCED.slice(1)];
  return (
    <details className="train-advanced">
      <summary>Advanced</summary>
      {groups.map((group) => (
        <Fragment key={group.title}>
          <h4>{group.title}</h4>
          <div className="settings-grid train-grid">
            {group.fields.map((field) => (
              <TrainSetting key={field} field={field} />
            ))}
          </div>
          {group.switches.length > 0 && (
            <div className="toggles train-toggles">
              {group.switches.map((field) => (
                <TrainSwitch key={field} field={field} />
              ))}
            </div>
          )}
          {'after' in group ? group.after : null}
        </Fragment>
      ))}
    </details>
  );
}

function SamplePrompts() {
  const value = useStudio((state) => state.trainForm.samplePrompts);
  const error = useStudio((state) => state.trainFieldErrors.samplePrompts);
  const edit = useStudio((state) => state.editTrainForm);
  return (
    <div className={`setting train-prompts${error ? ' invalid' : ''}`}>
      <label htmlFor="train-samplePrompts">Sample prompts (one per line)</label>
      <textarea
        id="train-samplePrompts"
        className="prompt"
        rows={2}
        value={value}
        aria-describedby="train-samplePrompts-note"
        onChange={(event) => edit({ samplePrompts: event.currentTarget.value })}
      />
      <p id="train-samplePrompts-note" className={error ? 'field-error' : 'field-hint'}>
        {error ?? "Continued through the model's chat template with the adapter as it is."}
      </p>
    </div>
  );
}
