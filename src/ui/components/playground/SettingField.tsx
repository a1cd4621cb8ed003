/** One numeric setting: a labelled text box (kept as typed), its hint, and its complaint tied by aria-describedby. */
import type { NumberField } from '../../playground/settings';
import { useStudio } from '../../stores/studio';

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
  const id = `setting-${field}`;
  return (
    <div className={`setting${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode={field === 'temperature' || field === 'topP' || field === 'repetitionPenalty' ? 'decimal' : 'numeric'}
        autoComplete="off"
        spellCheck={false}
        value={value}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : `${id}-hint`}
        onChange={(event) => editForm({ [field]: event.currentTarget.value })}
      />
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
