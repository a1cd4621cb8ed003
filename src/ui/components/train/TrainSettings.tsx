/**
 * The run's settings: the dataset, a preset, the settings most runs change, and every other option of the
 * training config behind "Advanced". The memory estimate follows the fields as they change; Start is refused with
 * the reason when the form, the base, the device or the memory say no.
 */
import { type ReactNode, useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { CacheEntryInfo } from '../../../hub/types';
import { openDatasetFile } from '../../engineBridge';
import { startHubBridge } from '../../hub/hubBridge';
import { useStudio } from '../../stores/studio';
import { filesFromDrop } from '../../playground/model-files';
import { chooseCachedTrainModel, chooseTrainModel, chooseTrainModelFiles, trainModelDropUnreadable } from '../../train/train-base';
import { chooseTrainFile, startTraining, trainsAsShown } from '../../train/train-bridge';
import { handOffTraining } from '../../train/handoff-bridge';
import type { RunModelRef } from '../../../library/run-history';
import { PRESETS } from '../../train/train-form';
import { trainsLoraPairs } from '../../../train/settings';
import { DropZone } from '../DropZone';
import { MemoryEstimate } from './MemoryEstimate';
import { AdvancedSettings } from './AdvancedSettings';
import { FileButton } from './FileButton';
import { FolderButton } from './FolderButton';
import { TrainChoice, TrainNumber, TrainText } from './TrainFields';

function DatasetChoice() {
  const data = useStudio((state) => state.trainData);
  // The File itself is not store data: re-read it whenever the Datasets view's state changes.
  const shown = useStudio((state) => (state.dataset.status === 'ready' ? state.dataset.summary : null));
  const datasetFile = shown ? openDatasetFile() : null;
  // Re-derived on every render: `data` and `shown` are what it depends on, and both are selected above.
  const asShown = shown !== null && trainsAsShown();
  return (
    <fieldset className="train-group">
      <legend>Dataset</legend>
      <label className="toggle">
        <input type="radio" name="train-data" checked={data.kind === 'sample'} onChange={() => chooseTrainFile(null)} />
        Sample: moon stories (400 prompt/completion rows)
      </label>
      <div className="train-file">
        <label className="file-button button secondary">
          {data.kind === 'file' ? 'Choose another file…' : 'Choose a file…'}
          <input
            className="visually-hidden"
            type="file"
            aria-label="Choose a training dataset file"
            accept=".jsonl,.json,.csv,.tsv,.parquet,.txt"
            onChange={(event) => {
              const file = event.currentTarget.files?.[0];
              if (file) chooseTrainFile(file);
              event.currentTarget.value = '';
            }}
          />
        </label>
        {data.kind === 'file' && (
          <span className="train-file-name" data-testid="train-file">
            {data.name}
          </span>
        )}
      </div>
      {datasetFile && !(data.kind === 'file' && data.name === datasetFile.name) && (
        <p className="field-hint">
          <button type="button" className="button secondary small" onClick={() => chooseTrainFile(datasetFile)}>
            Use {datasetFile.name}
          </button>{' '}
          (open in Datasets; the run keeps its own copy).
        </p>
      )}
      {asShown && (
        <p className="field-hint" data-testid="train-data-as-shown">
          Read as the Datasets view shows it: {shown.shape} rows with its column mapping, {shown.split.train} to train
          and {shown.split.validation} to validate (its split, not the validation % below).
        </p>
      )}
    </fieldset>
  );
}

const NO_ENTRIES: CacheEntryInfo[] = [];

function baseName(source: RunModelRef): string {
  switch (source.kind) {
    case 'gguf-file':
      return source.name;
    case 'folder':
    case 'cached':
      return source.label;
    case 'bundled':
      return source.id;
  }
}

/**
 * The base: the bundled stories260K, a GGUF file or a Hugging Face folder the user opens or drops (read in the
 * worker: a GGUF's header, a folder's config and tokenizer), or a model downloaded from the Hub into the browser's
 * cache.
 */
function BaseChoice() {
  const model = useStudio((state) => state.trainModel);
  const chosen = model.status !== 'idle' && model.source.kind !== 'bundled';
  const name = model.status === 'ready' ? model.info.name : model.status === 'idle' ? 'stories260K' : baseName(model.source);
  const onDrop = (data: DataTransfer) => {
    // filesFromDrop reads the items before its first await, while the DataTransfer is still readable.
    filesFromDrop(data).then(chooseTrainModelFiles, trainModelDropUnreadable);
  };
  // Complete downloads of the Hub cache (listed by the hub bridge), each a base a run can reopen by itself.
  useEffect(startHubBridge, []);
  const cached = useStudio(
    useShallow((state) =>
      state.hubCache.status === 'ready' ? state.hubCache.listing.entries.filter((e) => e.complete) : NO_ENTRIES,
    ),
  );
  return (
    <fieldset className="train-group">
      <legend>Base model</legend>
      <p className="train-base" data-testid="train-base">
        {name}
        {model.status === 'loading' ? ' (reading…)' : ''}
        {model.status === 'ready' && (
          <span className="muted">
            {' '}
            · {model.info.config.numLayers} layers, hidden {model.info.config.hiddenSize}, {model.info.weights}
          </span>
        )}
      </p>
      {model.status === 'failed' && (
        <p className="field-error" role="alert" data-testid="train-base-problem">
          {model.message}
        </p>
      )}
      <DropZone testId="train-base-drop" onDrop={onDrop}>
        <div className="train-file">
          <FileButton label="Choose a base model file" accept=".gguf" onFile={chooseTrainModel}>
            Open a .gguf base…
          </FileButton>
          <FolderButton label="Choose a base model folder" onFiles={chooseTrainModelFiles}>
            Open a model folder…
          </FolderButton>
          {chosen && (
            <button type="button" className="button secondary" onClick={() => chooseTrainModel(null)}>
              Use the bundled stories260K
            </button>
          )}
        </div>
        <p className="muted drop-hint">
          or drop a <code>.gguf</code> file or a Hugging Face folder here. Files are read in place, never uploaded.
        </p>
      </DropZone>
      {cached.length > 0 && (
        <div className="train-cached">
          <p className="field-hint">Downloaded from the Hub (Playground), kept in this browser:</p>
          <ul>
            {cached.map((entry) => (
              <li key={entry.key}>
                <button
                  type="button"
                  className="button secondary small"
                  aria-pressed={model.status !== 'idle' && model.source.kind === 'cached' && model.source.key === entry.key}
                  onClick={() => chooseCachedTrainModel(entry.key, entry.label)}
                >
                  Train {entry.label}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </fieldset>
  );
}

function Presets() {
  const preset = useStudio((state) => state.trainForm.preset);
  const apply = useStudio((state) => state.applyPreset);
  return (
    <fieldset className="train-presets">
      <legend>Preset</legend>
      {PRESETS.map((p) => (
        <label key={p.id} className={`train-preset${preset === p.id ? ' chosen' : ''}`}>
          <input type="radio" name="train-preset" checked={preset === p.id} onChange={() => apply(p.id)} />
          <span className="train-preset-label">{p.label}</span>
          <span className="train-preset-text">{p.description}</span>
        </label>
      ))}
      {preset === 'custom' && <p className="field-hint">Custom: a preset with your changes.</p>}
    </fieldset>
  );
}

function Length() {
  const lengthBy = useStudio((state) => state.trainForm.lengthBy);
  return (
    <>
      <TrainChoice field="lengthBy" />
      <TrainNumber field={lengthBy === 'steps' ? 'maxSteps' : 'epochs'} />
    </>
  );
}

/**
 * The settings most runs change, shown first (after the method and the run's length): the rank for LoRA and DoRA,
 * the virtual tokens for prompt tuning (IA³ has neither), and the text the prompt starts from.
 */
const MAIN_FIELDS = ['learningRate', 'rank', 'virtualTokens', 'batchSize', 'seqLen'] as const;

function MainFields() {
  const method = useStudio((state) => state.trainForm.method);
  const shown = (field: (typeof MAIN_FIELDS)[number]) =>
    field === 'rank' ? trainsLoraPairs(method) : field === 'virtualTokens' ? method === 'prompt' : true;
  return (
    <>
      <TrainChoice field="method" />
      <Length />
      {MAIN_FIELDS.filter(shown).map((field) => (
        <TrainNumber key={field} field={field} />
      ))}
      {method === 'prompt' && <TrainText field="promptInit" />}
    </>
  );
}

function Refusal() {
  const refusal = useStudio((state) => state.trainRefusal);
  if (!refusal || refusal.where === 'resume') return null;
  return (
    <div className="inline-problem" role="alert" data-testid="train-refusal">
      <h4>{refusal.title}</h4>
      <p className="inline-problem-message">{refusal.message}</p>
    </div>
  );
}

/**
 * Disables every field while a run goes, through the native fieldset: only this element re-renders when a run
 * starts or ends, not the forty fields inside (a long task at the moment training starts).
 */
function WhileIdle({ children }: { children: ReactNode }) {
  const busy = useStudio((state) => state.live !== null && state.live.phase !== 'ended');
  return (
    <fieldset className="train-form-fields" disabled={busy}>
      {children}
    </fieldset>
  );
}

function StartButton() {
  const busy = useStudio((state) => state.live !== null && state.live.phase !== 'ended');
  return (
    <button type="submit" className="button" disabled={busy}>
      Start training
    </button>
  );
}

export function TrainSettings() {
  return (
    <section className="panel train-settings" aria-labelledby="train-settings-title">
      <div className="panel-head">
        <h3 id="train-settings-title">New run</h3>
      </div>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void startTraining();
        }}
      >
        <WhileIdle>
          <BaseChoice />
          <DatasetChoice />
          <Presets />
          <div className="settings-grid train-grid">
            <MainFields />
          </div>
          <AdvancedSettings />
        </WhileIdle>
        <MemoryEstimate />
        <Refusal />
        <div className="generate-actions">
          <StartButton />
          <button type="button" className="button secondary" onClick={() => void handOffTraining()}>
            Hand off (Axolotl, TRL)
          </button>
          <p className="muted generate-hint">Hand off: this run as an Axolotl config, a TRL script and its dataset split, to continue on a cluster.</p>
        </div>
      </form>
    </section>
  );
}
