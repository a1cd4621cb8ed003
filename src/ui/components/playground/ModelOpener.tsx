/**
 * Opens the user's own model: a .gguf file, a Hugging Face folder (through the browser's folder picker), or either
 * dropped onto the zone. What is not a model is refused here with a message saying what is wanted.
 */
import type { ChangeEvent } from 'react';
import { DropZone } from '../DropZone';
import type { FolderFile } from '../../../worker/protocol';
import { loadModel, rejectModelFiles } from '../../engineBridge';
import { filesFromDrop, filesFromInput, pickModel } from '../../playground/model-files';

function open(files: FolderFile[]): void {
  const picked = pickModel(files);
  if (picked.ok) void loadModel(picked.source, picked.label);
  else rejectModelFiles(picked.message);
}

function fromInput(event: ChangeEvent<HTMLInputElement>): void {
  const files = filesFromInput(event.currentTarget.files);
  // Cleared so that choosing the same file again (after fixing it, say) fires another change.
  event.currentTarget.value = '';
  // A cancelled picker fires no change in most browsers, and an empty one in some: ignore the latter.
  if (files.length > 0) open(files);
}

/** Folder pickers are the non-standard `webkitdirectory` attribute, which React's types do not list. */
function asFolderPicker(input: HTMLInputElement | null): void {
  if (input) input.webkitdirectory = true;
}

export function ModelOpener() {
  const onDrop = (data: DataTransfer) => {
    // filesFromDrop reads the items before its first await, while the DataTransfer is still readable.
    filesFromDrop(data).then(open, (error: unknown) => rejectModelFiles(`The drop could not be read: ${String(error)}`));
  };
  return (
    <div className="model-source">
      <h4 id="open-title">Your own</h4>
      <DropZone onDrop={onDrop}>
        <div className="open-buttons" role="group" aria-labelledby="open-title">
          <label className="button secondary small file-button">
            <input type="file" className="visually-hidden" accept=".gguf" onChange={fromInput} />
            Open .gguf file…
          </label>
          <label className="button secondary small file-button">
            <input type="file" className="visually-hidden" ref={asFolderPicker} onChange={fromInput} />
            Open model folder…
          </label>
        </div>
        <p className="muted drop-hint">
          or drop a <code>.gguf</code> file or a Hugging Face folder here. Files are read in place, never uploaded.
        </p>
      </DropZone>
    </div>
  );
}
