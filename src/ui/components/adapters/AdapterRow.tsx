/**
 * One adapter in the library: its facts, its exports, an inline rename (Enter saves, Escape cancels) and a delete
 * that asks first. A failed action's problem shows in a row of its own just below.
 */
import { useEffect, useRef, useState } from 'react';
import type { AdapterRecord } from '../../../library/adapter-library';
import { isPromptRecord } from '../../../library/adapter-exports';
import { formatKey, formatLabel, MERGED_FORMATS } from '../../../export/formats';
import { exportAdapter, exportMergedAdapter, removeAdapter, renameTo } from '../../adapters/library-actions';
import { formatCreated, formatDataset, formatRank, formatValLoss } from '../../adapters/record-format';
import { IDLE_ROW, type AdapterTask } from '../../stores/adaptersSlice';
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';

const BUSY_TEXT: Record<AdapterTask, string> = {
  peft: 'Exporting PEFT…',
  gguf: 'Exporting GGUF…',
  merged: 'Merging into the base…',
  rename: 'Renaming…',
  delete: 'Deleting…',
};

type Mode = 'view' | 'rename' | 'confirm-delete';

function RenameField({ record, onDone }: { record: AdapterRecord; onDone: () => void }) {
  const [value, setValue] = useState(record.name);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const errorId = `rename-error-${record.id}`;
  const save = async () => {
    const message = await renameTo(record, value);
    if (message) {
      setError(message);
      input.current?.focus();
    } else onDone();
  };
  return (
    <form
      className="adapter-rename"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <input
        ref={input}
        className="adapter-rename-input"
        value={value}
        aria-label={`New name for ${record.name}`}
        aria-invalid={error !== null}
        aria-describedby={error ? errorId : undefined}
        onChange={(event) => {
          setValue(event.currentTarget.value);
          setError(null);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            onDone();
          }
        }}
      />
      <button type="submit" className="button small">
        Save
      </button>
      <button type="button" className="button secondary small" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <p className="field-error adapter-rename-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function DeleteConfirm({ record, onCancel }: { record: AdapterRecord; onCancel: () => void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  // The safe choice has the focus, so Enter on a stray key press never deletes.
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div
      className="adapter-confirm"
      role="group"
      aria-label={`Confirm deleting ${record.name}`}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel();
      }}
    >
      <span>Delete “{record.name}” and its files from this browser?</span>
      <button type="button" className="button small danger" onClick={() => void removeAdapter(record)}>
        Delete
      </button>
      <button type="button" className="button secondary small" ref={cancel} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** The merged export: a format menu (GGUF types, Hugging Face folder dtypes) and the button that makes it. */
function MergedExport({ record, unmergeable }: { record: AdapterRecord; unmergeable: { disabled: boolean } }) {
  const [key, setKey] = useState(formatKey(MERGED_FORMATS[0]));
  const format = MERGED_FORMATS.find((f) => formatKey(f) === key)!;
  return (
    <span className="adapter-merged-export">
      <select aria-label={`Merged format for ${record.name}`} value={key} disabled={unmergeable.disabled} onChange={(e) => setKey(e.currentTarget.value)}>
        {MERGED_FORMATS.map((f) => (
          <option key={formatKey(f)} value={formatKey(f)}>
            {formatLabel(f)}
          </option>
        ))}
      </select>
      <button type="button" className="button secondary small" {...unmergeable} onClick={() => void exportMergedAdapter(record, format)}>
        Merged
      </button>
    </span>
  );
}

function Actions({ record, busy, setMode }: { record: AdapterRecord; busy: boolean; setMode: (m: Mode) => void }) {
  // A prompt is an input before every sequence, not a change of weights: nothing to merge, no llama.cpp file.
  const prompt = isPromptRecord(record);
  const noteId = `adapter-${record.id}-no-merge`;
  const unmergeable = prompt ? { disabled: true, 'aria-describedby': noteId } : { disabled: busy };
  return (
    <div className="adapter-actions">
      <div className="adapter-action-group" role="group" aria-label={`Export ${record.name}`}>
        <button type="button" className="button secondary small" disabled={busy} onClick={() => void exportAdapter(record, 'peft')}>
          PEFT .zip
        </button>
        <button type="button" className="button secondary small" {...unmergeable} onClick={() => void exportAdapter(record, 'gguf')}>
          GGUF
        </button>
        <MergedExport record={record} unmergeable={unmergeable} />
        {prompt && (
          <p id={noteId} className="field-hint">
            Prompt tuning cannot be merged: its virtual tokens are an input before every prompt, not a change to the weights. Export PEFT.
          </p>
        )}
      </div>
      <div className="adapter-action-group" role="group" aria-label={`Manage ${record.name}`}>
        <button type="button" className="button secondary small" disabled={busy} onClick={() => setMode('rename')}>
          Rename
        </button>
        <button type="button" className="button secondary small danger" disabled={busy} onClick={() => setMode('confirm-delete')}>
          Delete
        </button>
      </div>
    </div>
  );
}

export function AdapterRow({ record, columns }: { record: AdapterRecord; columns: number }) {
  const row = useStudio((state) => state.adapterRows[record.id] ?? IDLE_ROW);
  const [mode, setMode] = useState<Mode>('view');
  const renameButtonFocus = useRef(false);
  const rowRef = useRef<HTMLTableRowElement>(null);
  // Back from renaming or confirming: the keyboard continues from the row's actions.
  useEffect(() => {
    if (mode === 'view' && renameButtonFocus.current) {
      renameButtonFocus.current = false;
      rowRef.current?.querySelector<HTMLButtonElement>('.adapter-actions button:not(:disabled)')?.focus();
    }
  }, [mode]);
  const leave = () => {
    renameButtonFocus.current = true;
    setMode('view');
  };
  return (
    <>
      <tr ref={rowRef} data-adapter-id={record.id} aria-busy={row.busy !== null}>
        <th scope="row" className="adapter-name">
          {mode === 'rename' ? <RenameField record={record} onDone={leave} /> : record.name}
          {row.busy && (
            <span className="loading-line adapter-busy" role="status">
              <span className="spinner" aria-hidden="true" />
              {BUSY_TEXT[row.busy]}
            </span>
          )}
        </th>
        <td>{record.baseModel}</td>
        <td>{record.method}</td>
        <td className="numeric">{formatRank(record)}</td>
        <td>{formatDataset(record)}</td>
        <td className="numeric">{formatValLoss(record.valLoss)}</td>
        <td>
          <time dateTime={new Date(record.createdAt).toISOString()}>{formatCreated(record.createdAt)}</time>
        </td>
        <td>
          {mode === 'confirm-delete' ? (
            <DeleteConfirm record={record} onCancel={leave} />
          ) : (
            <Actions record={record} busy={row.busy !== null} setMode={setMode} />
          )}
        </td>
      </tr>
      {row.notice && (
        <tr className="adapter-notice-row">
          <td colSpan={columns}>
            <p className="field-hint" role="status" data-testid="adapter-notice">
              {row.notice}
            </p>
          </td>
        </tr>
      )}
      {row.problem && (
        <tr className="adapter-problem-row">
          <td colSpan={columns}>
            <ProblemMessage problem={row.problem} id={`adapter-problem-${record.id}`} />
          </td>
        </tr>
      )}
    </>
  );
}
