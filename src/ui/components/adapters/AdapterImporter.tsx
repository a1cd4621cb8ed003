/**
 * Where adapters come in: a PEFT folder (folder picker, or a folder dropped), a .zip of one, or a GGUF LoRA file.
 * The files go to the engine worker as File handles; it checks them against the loaded base and stores them.
 */
import type { ChangeEvent } from 'react';
import { DropZone } from '../DropZone';
import { importDrop, importUpload } from '../../adapters/library-actions';
import { filesFromInput } from '../../playground/model-files';
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';

function fromInput(event: ChangeEvent<HTMLInputElement>): void {
  const files = filesFromInput(event.currentTarget.files);
  // Cleared so that choosing the same file again (after fixing it) fires another change.
  event.currentTarget.value = '';
  if (files.length) void importUpload(files);
}

function BaseNote() {
  const model = useStudio((state) => state.model);
  if (model.status === 'ready') {
    return (
      <p className="muted adapter-base-note" data-testid="adapter-base-note">
        Checked against the loaded base, <strong>{model.summary.name}</strong>: an adapter made for another model is refused.
      </p>
    );
  }
  return (
    <p className="muted adapter-base-note" data-testid="adapter-base-note">
      No base model is loaded, so imports are not checked against one. Load the base in the Playground to check them
      (and to export merged models).
    </p>
  );
}

function ImportOutcome() {
  const state = useStudio((s) => s.adapterImport);
  switch (state.status) {
    case 'idle':
      return null;
    case 'importing':
      return (
        <p className="loading-line adapter-import-status" role="status">
          <span className="spinner" aria-hidden="true" />
          Importing {state.label}…
        </p>
      );
    case 'done':
      return (
        <p className="adapter-import-status adapter-import-done" role="status">
          Imported “{state.name}” into the library.
        </p>
      );
    case 'failed':
      return <ProblemMessage problem={{ title: state.problem.title, message: state.problem.message }} id="adapter-import-problem" />;
  }
}

export function AdapterImporter() {
  const busy = useStudio((state) => state.adapterImport.status === 'importing');
  return (
    <section className="panel adapter-importer" aria-labelledby="adapter-import-title">
      <div className="panel-head">
        <h3 id="adapter-import-title">Import an adapter</h3>
      </div>
      <DropZone className="adapter-drop" testId="adapter-drop-zone" onDrop={(data) => void importDrop(data)}>
        <p className="drop-title">Drop an adapter folder, .zip or .gguf here</p>
        <p className="muted drop-hint">
          PEFT (<code>adapter_config.json</code> + <code>adapter_model.safetensors</code>), a <code>.zip</code> of that
          folder, or a llama.cpp GGUF LoRA · read on this machine, never uploaded.
        </p>
        <div className="open-buttons">
          <label className={`button small file-button${busy ? ' is-disabled' : ''}`}>
            <input
              type="file"
              className="visually-hidden"
              aria-label="Choose an adapter folder"
              disabled={busy}
              // React has no prop for it; the folder picker fills webkitRelativePath for each file.
              ref={(input) => input?.setAttribute('webkitdirectory', '')}
              onChange={fromInput}
            />
            Choose a folder…
          </label>
          <label className={`button secondary small file-button${busy ? ' is-disabled' : ''}`}>
            <input
              type="file"
              className="visually-hidden"
              accept=".zip,.gguf,application/zip"
              aria-label="Choose an adapter .zip or .gguf file"
              disabled={busy}
              onChange={fromInput}
            />
            Choose a .zip or .gguf…
          </label>
        </div>
      </DropZone>
      <BaseNote />
      <div aria-live="polite">
        <ImportOutcome />
      </div>
    </section>
  );
}
