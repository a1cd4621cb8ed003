/**
 * How the file is read and cut: the shape (detected, or the user's), the column each field comes from, what to do
 * with bad rows, the sequence length, whether inputs are trained, and the train/validation split.
 */
import { DATASET_SHAPES, type DatasetShape, SHAPE_FIELDS } from '../../../data';
import { editDatasetSettings } from '../../engineBridge';
import type { DatasetFormField } from '../../datasets/dataset-form';
import { formatCount } from '../../format';
import { useStudio } from '../../stores/studio';
import { NumberBox } from '../NumberBox';
import type { DatasetState } from '../../stores/datasetsSlice';

export const SHAPE_NAMES: Record<DatasetShape, string> = {
  chat: 'Chat (messages: role/content)',
  sharegpt: 'ShareGPT (conversations: from/value)',
  alpaca: 'Alpaca (instruction/input/output)',
  'prompt-completion': 'Prompt / completion',
  text: 'Plain text',
};

const SHORT_NAMES: Record<DatasetShape, string> = {
  chat: 'chat',
  sharegpt: 'ShareGPT',
  alpaca: 'Alpaca',
  'prompt-completion': 'prompt / completion',
  text: 'plain text',
};

function shownSummary(dataset: DatasetState) {
  if (dataset.status === 'ready') return dataset.summary;
  if (dataset.status === 'loading') return dataset.summary;
  return null;
}

function NumberSetting({ field, label, hint }: { field: DatasetFormField; label: string; hint: string }) {
  const value = useStudio((state) => state.datasetForm[field]);
  const error = useStudio((state) => state.datasetFieldErrors[field]);
  return (
    <NumberBox
      id={`dataset-${field}`}
      label={label}
      hint={hint}
      value={value}
      error={error}
      decimal={field === 'validationPercent'}
      onChange={(text) => editDatasetSettings({ [field]: text }, 'after-typing')}
      onEnter={() => editDatasetSettings({}, 'now')}
    />
  );
}

function ColumnMapping({ shape, columns }: { shape: DatasetShape; columns: string[] }) {
  const mapping = useStudio((state) => state.datasetForm.mapping);
  const format = useStudio((state) => state.datasetForm.format);
  return (
    <fieldset className="dataset-mapping">
      <legend>Columns</legend>
      {SHAPE_FIELDS[shape].map(({ field, required }) => {
        const id = `dataset-map-${field}`;
        const value = mapping[field] ?? (columns.includes(field) ? field : '');
        return (
          <div className="setting" key={field}>
            <label htmlFor={id}>
              {field}
              {required ? '' : ' (optional)'}
            </label>
            <select
              id={id}
              value={value}
              onChange={(event) =>
                // A mapping is for one shape: pin it, so a remapped file is not re-detected as another.
                editDatasetSettings({ format: format === 'auto' ? shape : format, mapping: { ...mapping, [field]: event.currentTarget.value } })
              }
            >
              <option value="">{required ? '— choose a column —' : '(none)'}</option>
              {columns.map((column) => (
                <option key={column} value={column}>
                  {column}
                </option>
              ))}
            </select>
          </div>
        );
      })}
    </fieldset>
  );
}

export function DatasetSettings() {
  const dataset = useStudio((state) => state.dataset);
  const form = useStudio((state) => state.datasetForm);
  const summary = shownSummary(dataset);
  const columns =
    summary?.columns ??
    (dataset.status === 'failed' ? dataset.failure.columns : dataset.status === 'loading' ? dataset.columns : []);
  const shape: DatasetShape | null = form.format !== 'auto' ? form.format : (summary?.shape ?? null);
  const detected = form.format === 'auto' && summary ? `: ${SHORT_NAMES[summary.shape]}` : '';
  return (
    <section className="panel dataset-settings" aria-labelledby="dataset-settings-title">
      <div className="panel-head">
        <h3 id="dataset-settings-title">Rows and tokens</h3>
      </div>
      <div className="setting">
        <label htmlFor="dataset-shape">Shape</label>
        <select
          id="dataset-shape"
          value={form.format}
          onChange={(event) => editDatasetSettings({ format: event.currentTarget.value as DatasetShape | 'auto', mapping: {} })}
        >
          <option value="auto">Detected{detected || ' automatically'}</option>
          {DATASET_SHAPES.map((s) => (
            <option key={s} value={s}>
              {SHAPE_NAMES[s]}
            </option>
          ))}
        </select>
      </div>
      {shape && columns.length > 0 && <ColumnMapping shape={shape} columns={columns} />}
      <fieldset className="dataset-choice">
        <legend>Bad rows</legend>
        <label className="toggle">
          <input
            type="radio"
            name="dataset-bad-rows"
            checked={form.onBadRow === 'skip'}
            onChange={() => editDatasetSettings({ onBadRow: 'skip' })}
          />
          Skip them, use the rest
        </label>
        <label className="toggle">
          <input
            type="radio"
            name="dataset-bad-rows"
            checked={form.onBadRow === 'fail'}
            onChange={() => editDatasetSettings({ onBadRow: 'fail' })}
          />
          Refuse the file
        </label>
      </fieldset>
      <div className="dataset-grid">
        <NumberSetting field="seqLen" label="Sequence length" hint="Tokens per example; longer ones are cut." />
        <div className="dataset-toggle">
          <label className="toggle">
            <input
              type="checkbox"
              checked={form.trainOnInputs}
              onChange={(event) => editDatasetSettings({ trainOnInputs: event.currentTarget.checked })}
            />
            Train on inputs
          </label>
          <p className="field-hint">Also learn the prompts, not only the answers.</p>
        </div>
        <NumberSetting field="validationPercent" label="Validation %" hint="Held out to measure loss." />
        <NumberSetting field="seed" label="Split seed" hint="Same seed, same split." />
      </div>
      {summary && (
        <p className="dataset-split" aria-live="polite">
          Split: {summary.sampling ? '≈ ' : ''}
          <strong>{formatCount(summary.split.train)}</strong> training ·{' '}
          <strong>{formatCount(summary.split.validation)}</strong> validation examples
          {summary.sampling ? ' (estimated from the sample)' : ''}
        </p>
      )}
    </section>
  );
}
