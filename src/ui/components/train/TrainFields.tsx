/** The form's field widgets, bound to the train slice: numbers (NumberBox), switches and choices. */
import { useStudio } from '../../stores/studio';
import type { TrainForm, TrainNumberField } from '../../train/train-form';
import { NumberBox } from '../NumberBox';

const DECIMAL = new Set<TrainNumberField>([
  'alpha',
  'dropout',
  'learningRate',
  'minLrRatio',
  'weightDecay',
  'maxGradNorm',
  'beta1',
  'beta2',
  'eps',
  'epochs',
  'valPercent',
  'budgetMiB',
]);

interface NumberProps {
  field: TrainNumberField;
  label: string;
  hint: string;
  disabled?: boolean;
}

export function TrainNumber({ field, label, hint, disabled }: NumberProps) {
  const value = useStudio((state) => state.trainForm[field]);
  const error = useStudio((state) => state.trainFieldErrors[field]);
  const edit = useStudio((state) => state.editTrainForm);
  return (
    <NumberBox
      id={`train-${field}`}
      label={label}
      hint={hint}
      value={value}
      error={error}
      decimal={DECIMAL.has(field)}
      disabled={disabled}
      onChange={(text) => edit({ [field]: text })}
    />
  );
}

type SwitchField = { [K in keyof TrainForm]: TrainForm[K] extends boolean ? K : never }[keyof TrainForm];

export function TrainSwitch({ field, label, disabled }: { field: SwitchField; label: string; disabled?: boolean }) {
  const checked = useStudio((state) => state.trainForm[field]);
  const edit = useStudio((state) => state.editTrainForm);
  return (
    <label className="toggle">
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(event) => edit({ [field]: event.currentTarget.checked })} />
      {label}
    </label>
  );
}

interface ChoiceProps<K extends 'schedule' | 'overLength' | 'quant' | 'lengthBy'> {
  field: K;
  label: string;
  options: { value: TrainForm[K]; label: string }[];
  hint: string;
  disabled?: boolean;
}

export function TrainChoice<K extends 'schedule' | 'overLength' | 'quant' | 'lengthBy'>({ field, label, options, hint, disabled }: ChoiceProps<K>) {
  const value = useStudio((state) => state.trainForm[field]);
  const edit = useStudio((state) => state.editTrainForm);
  const id = `train-${field}`;
  return (
    <div className="setting">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        aria-describedby={`${id}-hint`}
        onChange={(event) => edit({ [field]: event.currentTarget.value } as Partial<TrainForm>)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <p id={`${id}-hint`} className="field-hint">
        {hint}
      </p>
    </div>
  );
}
