/**
 * A numeric setting as the forms show it: a labelled text box (kept as typed, so "0." survives editing), its hint,
 * and its complaint in place of the hint, tied to the box by aria-describedby. The stores own value and error.
 */
interface Props {
  id: string;
  label: string;
  hint: string;
  value: string;
  error?: string;
  /** Decimal keypad on touch devices; whole numbers otherwise. */
  decimal: boolean;
  disabled?: boolean;
  onChange(value: string): void;
  onEnter?(): void;
}

export function NumberBox({ id, label, hint, value, error, decimal, disabled, onChange, onEnter }: Props) {
  return (
    <div className={`setting${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode={decimal ? 'decimal' : 'numeric'}
        autoComplete="off"
        spellCheck={false}
        value={value}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : `${id}-hint`}
        onChange={(event) => onChange(event.currentTarget.value)}
        onKeyDown={
          onEnter
            ? (event) => {
                if (event.key === 'Enter') onEnter();
              }
            : undefined
        }
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
