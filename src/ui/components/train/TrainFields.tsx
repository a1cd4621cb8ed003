/**
 * The form's field widgets, bound to the train slice: numbers (NumberBox), switches and choices. Each one's label,
 * hint, choices and keypad come from the settings table (through form-settings.ts), so a field is named by key.
 */
import { useStudio } from '../../stores/studio';
import { CHOICE_FIELDS, type ChoiceKey, NUMBER_FIELDS, type SwitchKey, type TextKey, type TrainNumberField } from '../../train/form-settings';
import { SETTINGS, settingSpec } from '../../../train/settings';
import type { TrainForm } from '../../train/train-form';
import { NumberBox } from '../NumberBox';

export function TrainNumber({ field }: { field: TrainNumberField }) {
  const value = useStudio((state) => state.trainForm[field]);
  const error = useStudio((state) => state.trainFieldErrors[field]);
  const edit = useStudio((state) => state.editTrainForm);
  const spec = NUMBER_FIELDS[field];
  return (
    <NumberBox
      id={`train-${field}`}
      label={spec.label}
      hint={spec.hint}
      value={value}
      error={error}
      decimal={!spec.range.integer}
      onChange={(text) => edit({ [field]: text })}
    />
  );
}

export function TrainSwitch({ field }: { field: SwitchKey }) {
  const checked = useStudio((state) => state.trainForm[field]);
  const edit = useStudio((state) => state.editTrainForm);
  return (
    <label className="toggle">
      <input type="checkbox" checked={checked} onChange={(event) => edit({ [field]: event.currentTarget.checked })} />
      {settingSpec(field).label}
    </label>
  );
}

/** A free-text setting (prompt tuning's starting text), from the table's label, hint and length limit. */
export function TrainText({ field }: { field: TextKey }) {
  const value = useStudio((state) => state.trainForm[field]);
  const error = useStudio((state) => state.trainFieldErrors[field]);
  const edit = useStudio((state) => state.editTrainForm);
  const spec = SETTINGS[field];
  const id = `train-${field}`;
  return (
    <div className={`setting${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{spec.label}</label>
      <input
        id={id}
        type="text"
        value={value}
        maxLength={spec.maxLength}
        aria-describedby={`${id}-hint`}
        onChange={(event) => edit({ [field]: event.currentTarget.value })}
      />
      <p id={`${id}-hint`} className={error ? 'field-error' : 'field-hint'}>
        {error ?? spec.hint}
      </p>
    </div>
  );
}

export type ChoiceField = ChoiceKey | 'lengthBy';

export function TrainChoice({ field }: { field: ChoiceField }) {
  const value = useStudio((state) => state.trainForm[field]);
  const error = useStudio((state) => (field === 'lengthBy' ? undefined : state.trainFieldErrors[field]));
  const edit = useStudio((state) => state.editTrainForm);
  const { label, hint, choices } = CHOICE_FIELDS[field];
  const id = `train-${field}`;
  return (
    <div className={`setting${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-describedby={`${id}-hint`}
        onChange={(event) => edit({ [field]: event.currentTarget.value } as Partial<TrainForm>)}
      >
        {Object.entries(choices).map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      <p id={`${id}-hint`} className={error ? 'field-error' : 'field-hint'}>
        {error ?? hint}
      </p>
    </div>
  );
}

export type TrainSettingField = TrainNumberField | ChoiceField;

/** A number or a choice field, by name (the layout lists both kinds in one grid). */
export function TrainSetting({ field }: { field: TrainSettingField }) {
  return field in CHOICE_FIELDS ? <TrainChoice field={field as ChoiceField} /> : <TrainNumber field={field as TrainNumberField} />;
}
