/**
 * A button that opens the browser's folder picker (a label around a hidden webkitdirectory input) and hands over
 * the folder's files with their paths inside it, read by the Playground's helper (filesFromInput). The input is
 * cleared after each pick, so choosing the same folder again still counts as a choice.
 */
import type { ReactNode } from 'react';
import type { FolderFile } from '../../../worker/engine-types';
import { filesFromInput } from '../../playground/model-files';

interface Props {
  children: ReactNode;
  /** The input's accessible name (what the browser tests and screen readers find it by). */
  label: string;
  className?: string;
  disabled?: boolean;
  onFiles(files: FolderFile[]): void;
}

/** Folder pickers are the non-standard `webkitdirectory` attribute, which React's types do not list. */
function asFolderPicker(input: HTMLInputElement | null): void {
  if (input) input.webkitdirectory = true;
}

export function FolderButton({ children, label, className = 'file-button button secondary', disabled, onFiles }: Props) {
  return (
    <label className={className}>
      {children}
      <input
        className="visually-hidden"
        type="file"
        ref={asFolderPicker}
        aria-label={label}
        disabled={disabled}
        onChange={(event) => {
          const files = filesFromInput(event.currentTarget.files);
          event.currentTarget.value = '';
          // A cancelled picker fires no change in most browsers, and an empty one in some: ignore the latter.
          if (files.length > 0) onFiles(files);
        }}
      />
    </label>
  );
}
