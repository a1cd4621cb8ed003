/**
 * A button that opens the file chooser (a label around a hidden file input) and hands over the one file picked.
 * The input is cleared after each pick, so choosing the same file again still counts as a choice.
 */
import type { ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** The input's accessible name (what the browser tests and screen readers find it by). */
  label: string;
  accept: string;
  className?: string;
  disabled?: boolean;
  onFile(file: File): void;
}

export function FileButton({ children, label, accept, className = 'file-button button secondary', disabled, onFile }: Props) {
  return (
    <label className={className}>
      {children}
      <input
        className="visually-hidden"
        type="file"
        aria-label={label}
        accept={accept}
        disabled={disabled}
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          if (file) onFile(file);
          event.currentTarget.value = '';
        }}
      />
    </label>
  );
}
