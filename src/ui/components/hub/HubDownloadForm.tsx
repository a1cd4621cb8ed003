/**
 * Any model on the Hub by repository id: one GGUF file, or a Hugging Face folder (config.json, tokenizer.json,
 * safetensors). The revision and the Hub's address (a mirror, like HF_ENDPOINT) sit under "More options".
 */
import type { FormEvent } from 'react';
import { downloadFromForm } from '../../hub/hubBridge';
import type { HubFormField } from '../../hub/hub-form';
import { useStudio } from '../../stores/studio';

interface FieldProps {
  field: HubFormField;
  label: string;
  hint: string;
  placeholder?: string;
}

function TextField({ field, label, hint, placeholder }: FieldProps) {
  const value = useStudio((state) => state.hubForm[field as keyof typeof state.hubForm] as string);
  const error = useStudio((state) => state.hubFieldErrors[field]);
  const edit = useStudio((state) => state.editHubForm);
  const id = `hub-${field}`;
  return (
    <div className={`setting hub-field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        autoComplete="off"
        spellCheck={false}
        value={value}
        placeholder={placeholder}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-note`}
        onChange={(event) => edit({ [field]: event.currentTarget.value })}
      />
      {error ? (
        <p id={`${id}-note`} className="field-error" role="alert">
          {error}
        </p>
      ) : (
        <p id={`${id}-note`} className="field-hint muted">
          {hint}
        </p>
      )}
    </div>
  );
}

export function HubDownloadForm() {
  const kind = useStudio((state) => state.hubForm.kind);
  const edit = useStudio((state) => state.editHubForm);
  const running = useStudio((state) => state.hubDownload.status === 'running');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void downloadFromForm();
  };
  return (
    <form className="model-source hub-form" onSubmit={submit} aria-labelledby="hub-form-title" noValidate>
      <h4 id="hub-form-title">Any repository</h4>
      <TextField field="repo" label="Repository" hint="owner/name, as in the Hub’s address" placeholder="Qwen/Qwen2.5-0.5B-Instruct-GGUF" />
      <fieldset className="hub-kind">
        <legend className="visually-hidden">What to download</legend>
        <label className="toggle">
          <input type="radio" name="hub-kind" checked={kind === 'gguf'} onChange={() => edit({ kind: 'gguf' })} />
          GGUF file
        </label>
        <label className="toggle">
          <input type="radio" name="hub-kind" checked={kind === 'hf'} onChange={() => edit({ kind: 'hf' })} />
          Model folder
        </label>
      </fieldset>
      {kind === 'gguf' ? (
        <TextField field="file" label="File" hint="The .gguf file’s path in the repository" placeholder="qwen2.5-0.5b-instruct-q8_0.gguf" />
      ) : (
        <TextField field="folder" label="Folder" hint="Empty for the repository’s root; needs config.json, tokenizer.json, safetensors" />
      )}
      <details className="hub-more">
        <summary>More options</summary>
        <TextField field="revision" label="Revision" hint="Branch, tag or commit" />
        <TextField field="endpoint" label="Hub address" hint="A mirror’s address (like HF_ENDPOINT); the studio’s Content-Security-Policy must allow it too" />
      </details>
      <button type="submit" className="button small" disabled={running}>
        Download and load
      </button>
    </form>
  );
}
