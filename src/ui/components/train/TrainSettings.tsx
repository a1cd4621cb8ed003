/**
 * The run's settings: the dataset, a preset, the settings most runs change, and every other option of the
 * training config behind "Advanced". The memory estimate follows the fields as they change; Start is refused with
 * the reason when the form, the base, the device or the memory say no.
 */
import { type ReactNode, useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { LORA_TARGETS, type LoraTarget } from '../../../gpu/lora/lora-linear';
import type { CacheEntryInfo } from '../../../hub/types';
import { openDatasetFile } from '../../engineBridge';
import { startHubBridge } from '../../hub/hubBridge';
import { useStudio } from '../../stores/studio';
import { chooseCachedTrainModel, chooseTrainFile, chooseTrainModel, startTraining } from '../../train/train-bridge';
import { PRESETS } from '../../train/train-form';
import { MemoryEstimate } from './MemoryEstimate';
import { TrainChoice, TrainNumber, TrainSwitch } from './TrainFields';

function DatasetChoice() {
  const data = useStudio((state) => state.trainData);
  // The File itself is not store data: re-read it whenever the Datasets view's state changes.
  const datasetReady = useStudio((state) => state.dataset.status === 'ready');
  const datasetFile = datasetReady ? openDatasetFile() : null;
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
    </fieldset>
  );
}

const NO_ENTRIES: CacheEntryInfo[] = [];

/**
 * The base: the bundled stories260K, a GGUF file the user opens (read in the worker, header only), or a model
 * downloaded from the Hub into the browser's cache.
 */
function BaseChoice() {
  const model = useStudio((state) => state.trainModel);
  const chosen = model.status !== 'idle' && model.source.kind !== 'bundled';
  const name =
    model.status === 'ready'
      ? model.info.name
      : model.status === 'idle'
        ? 'stories260K'
        : model.source.kind === 'gguf-file'
          ? model.source.name
          : model.source.kind === 'cached'
            ? model.source.label
            : model.source.id;
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
      <div className="train-file">
        <label className="file-button button secondary">
          Open a .gguf base…
          <input
            className="visually-hidden"
            type="file"
            aria-label="Choose a base model file"
            accept=".gguf"
            onChange={(event) => {
              const file = event.currentTarget.files?.[0];
              if (file) chooseTrainModel(file);
              event.currentTarget.value = '';
            }}
          />
        </label>
        {chosen && (
          <button type="button" className="button secondary" onClick={() => chooseTrainModel(null)}>
            Use the bundled stories260K
          </button>
        )}
      </div>
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

function Targets() {
  const targets = useStudio((state) => state.trainForm.targets);
  const error = useStudio((state) => state.trainFieldErrors.targets);
  const edit = useStudio((state) => state.editTrainForm);
  const toggle = (t: LoraTarget, on: boolean) => edit({ targets: on ? [...targets, t] : targets.filter((x) => x !== t) });
  return (
    <fieldset className={`train-targets${error ? ' invalid' : ''}`} aria-describedby="train-targets-note">
      <legend>Adapted layers</legend>
      <div className="chips">
        {LORA_TARGETS.map((t) => (
          <label key={t} className="toggle">
            <input type="checkbox" checked={targets.includes(t)} onChange={(event) => toggle(t, event.currentTarget.checked)} />
            {t}
          </label>
        ))}
      </div>
      <p id="train-targets-note" className={error ? 'field-error' : 'field-hint'}>
        {error ?? 'Attention (q, k, v, o) and MLP (gate, up, down) projections that get a LoRA pair.'}
      </p>
    </fieldset>
  );
}

function Length() {
  const lengthBy = useStudio((state) => state.trainForm.lengthBy);
  return (
    <>
      <TrainChoice
        field="lengthBy"
        label="Run length by"
        hint="A number of steps, or passes over the data."
        options={[
          { value: 'steps', label: 'Steps' },
          { value: 'epochs', label: 'Epochs' },
        ]}
      />
      {lengthBy === 'steps' ? (
        <TrainNumber field="maxSteps" label="Max steps" hint="Optimizer steps." />
      ) : (
        <TrainNumber field="epochs" label="Epochs" hint="Passes over the training set." />
      )}
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
            <Length />
            <TrainNumber field="learningRate" label="Learning rate" hint="Peak AdamW step size." />
            <TrainNumber field="rank" label="Rank" hint="LoRA rank r." />
            <TrainNumber field="batchSize" label="Batch size" hint="Sequences per micro-batch." />
            <TrainNumber field="seqLen" label="Sequence length" hint="Tokens; longer examples are cut." />
          </div>
          <details className="train-advanced">
            <summary>Advanced</summary>
            <h4>LoRA</h4>
            <div className="settings-grid train-grid">
              <TrainNumber field="alpha" label="Alpha" hint="Scale: alpha / r." />
              <TrainNumber field="dropout" label="Dropout" hint="On the LoRA input, in [0, 1)." />
              <TrainChoice
                field="quant"
                label="Base weights"
                hint="NF4 keeps the base in 4 bits (QLoRA)."
                options={[
                  { value: 'none', label: 'As loaded (LoRA)' },
                  { value: 'nf4', label: 'NF4 (QLoRA)' },
                ]}
              />
            </div>
            <div className="toggles train-toggles">
              <TrainSwitch field="rsLora" label="rsLoRA (alpha / √r)" />
              <TrainSwitch field="checkpointing" label="Gradient checkpointing" />
            </div>
            <Targets />
            <h4>Optimizer and schedule</h4>
            <div className="settings-grid train-grid">
              <TrainChoice
                field="schedule"
                label="Schedule"
                hint="Learning rate over the run."
                options={[
                  { value: 'constant', label: 'Constant' },
                  { value: 'linear', label: 'Linear decay' },
                  { value: 'cosine', label: 'Cosine decay' },
                ]}
              />
              <TrainNumber field="warmupSteps" label="Warmup steps" hint="Linear ramp from 0." />
              <TrainNumber field="minLrRatio" label="Final LR ratio" hint="Decay ends at this × peak." />
              <TrainNumber field="weightDecay" label="Weight decay" hint="AdamW, decoupled." />
              <TrainNumber field="maxGradNorm" label="Max grad norm" hint="Clipping; 0 = off." />
              <TrainNumber field="gradAccum" label="Grad accumulation" hint="Micro-batches per step." />
              <TrainNumber field="beta1" label="Beta 1" hint="AdamW first moment." />
              <TrainNumber field="beta2" label="Beta 2" hint="AdamW second moment." />
              <TrainNumber field="eps" label="Epsilon" hint="AdamW denominator." />
            </div>
            <h4>Data</h4>
            <div className="settings-grid train-grid">
              <TrainNumber field="valPercent" label="Validation %" hint="Held out, seeded." />
              <TrainChoice
                field="overLength"
                label="Too-long examples"
                hint="Cut them, or refuse the file."
                options={[
                  { value: 'truncate', label: 'Truncate' },
                  { value: 'refuse', label: 'Refuse' },
                ]}
              />
              <TrainNumber field="seed" label="Seed" hint="Split, shuffle, init, dropout." />
            </div>
            <div className="toggles train-toggles">
              <TrainSwitch field="trainOnInputs" label="Train on inputs" />
              <TrainSwitch field="pack" label="Pack short examples" />
            </div>
            <h4>Validation and checkpoints</h4>
            <div className="settings-grid train-grid">
              <TrainNumber field="evalEvery" label="Eval every" hint="Steps; 0 = at the end." />
              <TrainNumber field="saveEvery" label="Checkpoint every" hint="Steps; 0 = at the end." />
              <TrainNumber field="patience" label="Early-stop patience" hint="Evals; 0 = never." />
            </div>
            <div className="toggles train-toggles">
              <TrainSwitch field="keepBest" label="Keep the best adapter (by validation loss)" />
            </div>
            <h4>Samples and memory</h4>
            <div className="settings-grid train-grid">
              <TrainNumber field="sampleEvery" label="Samples every" hint="Steps; 0 = none." />
              <TrainNumber field="sampleTokens" label="Sample tokens" hint="Per prompt, greedy." />
              <TrainNumber field="budgetMiB" label="Memory budget (MiB)" hint="Empty: device limits only." />
            </div>
            <SamplePrompts />
          </details>
        </WhileIdle>
        <MemoryEstimate />
        <Refusal />
        <div className="generate-actions">
          <StartButton />
        </div>
      </form>
    </section>
  );
}

function SamplePrompts() {
  const value = useStudio((state) => state.trainForm.samplePrompts);
  const error = useStudio((state) => state.trainFieldErrors.samplePrompts);
  const edit = useStudio((state) => state.editTrainForm);
  return (
    <div className={`setting train-prompts${error ? ' invalid' : ''}`}>
      <label htmlFor="train-samplePrompts">Sample prompts (one per line)</label>
      <textarea
        id="train-samplePrompts"
        className="prompt"
        rows={2}
        value={value}
        aria-describedby="train-samplePrompts-note"
        onChange={(event) => edit({ samplePrompts: event.currentTarget.value })}
      />
      <p id="train-samplePrompts-note" className={error ? 'field-error' : 'field-hint'}>
        {error ?? "Continued through the model's chat template with the adapter as it is."}
      </p>
    </div>
  );
}
