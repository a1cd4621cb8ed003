/** One numeric setting: a labelled text box (kept as typed), its hint, and its complaint tied by aria-describedby. */
import type { NumberField } from '../../playground/settings';
import { useStudio } from '../../stores/studio';
import { NumberBox } from '../NumberBox';

interface Props {
  field: NumberField;
  label: string;
  hint: string;
  disabled: boolean;
}

export function SettingField({ field, label, hint, disabled }: Props) {
  const value = useStudio((state) => state.form[field]);
  const error = useStudio((state) => state.fieldErrors[field]);
  const editForm = useStudio((state) => state.editForm);
  return (
    <NumberBox
      id={`setting-${field}`}
      label={label}
      hint={hint}
      value={value}
      error={error}
      decimal={field === 'temperature' || field === 'topP' || field === 'repetitionPenalty'}
      disabled={disabled}
      onChange={(text) => editForm({ [field]: text })}
    />
  );
}
