/**
 * A small secondary button acting on one item of a list (Load, Resume, Delete, Download…). Its accessible name says
 * which item ("Delete stories260K"), since every row shows the same visible word.
 */
import type { ReactNode } from 'react';

interface Props {
  name: string;
  title?: string;
  disabled?: boolean;
  onClick(): void;
  children: ReactNode;
}

export function ItemButton({ name, title, disabled, onClick, children }: Props) {
  return (
    <button type="button" className="button secondary small" aria-label={name} title={title} disabled={disabled} onClick={onClick}>
      {children}
    </button>
  );
}
