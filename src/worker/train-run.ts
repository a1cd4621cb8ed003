/**
 * One training run inside the engine worker, from a start request to its reply: the run's folder
 * in OPFS (the dataset is copied there on first start, so a reload can resume without the user giving it again),
 * the base (a bundled model, refetched; on the GPU, the Playground's weights when it loaded the same file), the
 * checks that name a bad dataset before the GPU is touched, the session itself with progress batched to ≤10
 * messages a second and samples every N steps, and at the end the adapter added to the library. Pause and stop
 * act after the current step through the run's AbortController.
 */
import { DatasetError, DEFAULT_READ_SETTINGS } from '../data';
import type { GpuContext } from '../gpu/context';
import { addAdapter } from '../library/adapter-library';
import { closeModel, loadGgufModel, loadHfModel, type LoadedModel } from '../model/load';
import { IA3_DEFAULT } from '../model/lora-targets';
import { blobSource } from '../model/source';
import { CHECKPOINT_FILE, decodeCheckpoint } from '../train/checkpoint';
import type { DataProgress } from '../data/stream/streamed-dataset';
import { openDataInWorker } from '../data/stream/remote/browser';
import type { ProgressEvent, ValidationRecord } from '../train/metrics';
import { baseStorage } from '../model/quant/storage';
import { describeModel, runTrainingSession } from '../train/session';
import { OpfsRunStorage } from '../train/storage-opfs';
import { methodRecordLabel } from '../train/settings';
import type { BaseLease } from './base-lease';
import { BundledModelError, fetchBundledModel, listBundledModels } from './bundled-models';
import { loadCachedModel } from './hub-cached-model';
import type { WorkerServices } from './domains';
import { runDatasetOf } from './dataset-run';
import { openDatasetSource } from './dataset-source';
import { RunSampler } from './train-samples';
import { checkSameBase, TrainSetupError, trainFailureOf } from './train-failure';
import { EngineError } from './engine-error';
import type {
  TrainControlMessage,
  TrainDatasetSettings,
  TrainModelInfo,
  TrainModelSource,
  TrainOutcome,
  TrainStartRequest,
} from './train-protocol';

/** The run's own files besides checkpoints: its dataset copy and what it was made from. */
const DATA_FILE = 'dataset.data';
const META_FILE = 'run.json';
/** Progress reaches the page at most this often. */
const PROGRESS_INTERVAL_MS = 100;
/**
 * On a CPU adapter (SwiftShader), the GPU's work takes every core, and the page's main thread, drawing the new
 * points, would wait for the CPU: a task of 20 ms would last hundreds. So after progress is sent, the next GPU work
 * waits this long there (a few percent of a step of a second or more). A real GPU leaves the CPU free: no pause.
 */
const CPU_ADAPTER_DRAW_PAUSE_MS = 100;

function drawPauseMs(ctx: GpuContext): number {
  const r = ctx.report;
  return r.isFallbackAdapter || /swiftshader/i.test(`${r.vendor} ${r.architecture} ${r.device} ${r.description}`) ? CPU_ADAPTER_DRAW_PAUSE_MS : 0;
}

interface RunMeta {
  datasetName: string;
  /** How the file is read and split (absent in runs saved before it was kept). */
  dataset?: TrainDatasetSettings;
}

interface ActiveRun {
  controller: AbortController;
  action: 'pause' | 'stop' | null;
}

const active = new Map<string, ActiveRun>();

/** Pause or stop a run after its current step (a message for a run that is not going is ignored). */
export function controlRun(message: TrainControlMessage): void {
  const run = active.get(message.runId);
  if (!run || run.action) return;
  run.action = message.action;
  run.controller.abort();
}

export async function openTrainModel(source: TrainModelSource): Promise<LoadedModel> {
  if (source.kind === 'gguf-file') return loadGgufModel(blobSource(source.file, source.file.name));
  if (source.kind === 'folder') {
    return loadHfModel(new Map(source.files.map((f) => [f.path, blobSource(f.file, f.path)])), source.label);
  }
  if (source.kind === 'cached') return loadCachedModel(source.key);
  const model = (await listBundledModels()).find((m) => m.id === source.id);
  if (!model) throw new BundledModelError(`no model '${source.id}' is shipped with the studio`);
  const fetched = await fetchBundledModel(model, source.format);
  return fetched.kind === 'gguf' ? loadGgufModel(fetched.source) : loadHfModel(fetched.files, fetched.label);
}

export async function inspectTrainModel(source: TrainModelSource): Promise<TrainModelInfo> {
  const loaded = await openTrainModel(source);
  try {
    const storage = baseStorage(loaded.weights);
    return { name: loaded.name, config: structuredClone(loaded.config), weights: storage.linears, storage };
  } finally {
    await closeModel(loaded);
  }
}

/** The run's dataset and how to read it: copied into its folder on a fresh start, read back from there on resume. */
async function runDataset(
  storage: OpfsRunStorage,
  request: TrainStartRequest,
): Promise<{ blob: Blob; name: string; settings: TrainDatasetSettings }> {
  if (request.resume) {
    const meta = await storage.read(META_FILE);
    const blob = await storage.blob(DATA_FILE);
    if (!meta || !blob) {
      throw new TrainSetupError('checkpoint', `This run's copy of its dataset is gone from ${storage.where}; start a new run.`);
    }
    const { datasetName, dataset } = JSON.parse(new TextDecoder().decode(meta)) as RunMeta;
    // Runs saved before the settings were kept read their file with the defaults, as they did then.
    return { blob, name: datasetName, settings: dataset ?? { ...DEFAULT_READ_SETTINGS, split: null } };
  }
  const { blob, name } = await openDatasetSource(request.data);
  const settings = request.dataset;
  await storage.writeStream(DATA_FILE, blob.stream());
  await storage.write(META_FILE, [new TextEncoder().encode(JSON.stringify({ datasetName: name, dataset: settings } satisfies RunMeta))]);
  return { blob, name, settings };
}

const MASKED_ADVICE = 'there is no token to train on. Turn on "Train on inputs", raise the sequence length, or check the column mapping.';

/** The dataset refusal a user can fix in the form, said in its words: every example has its labels masked. */
function inFormWords(error: unknown): unknown {
  if (error instanceof DatasetError && /no example has a trained token/.test(error.message)) {
    return new TrainSetupError('data', `${error.message}. Every example has all its labels masked: ${MASKED_ADVICE}`);
  }
  return error;
}

/**
 * Collects progress and sends it after a step (flushIfDue), at most once per interval, so a fast GPU cannot flood
 * the page; never from a timer, so the page draws only while the GPU work pauses (see drawPauseMs).
 */
class ProgressBatcher {
  private steps: ProgressEvent[] = [];
  private validations: ValidationRecord[] = [];
  private lastSent = -Infinity;
  private latestData: DataProgress | null = null;
  private dataBadRows: DataProgress['newBadRows'] = [];

  constructor(
    private readonly runId: string,
    private readonly services: WorkerServices,
  ) {}

  step(event: ProgressEvent): void {
    this.steps.push(event);
  }

  validation(record: ValidationRecord): void {
    this.validations.push(record);
  }

  /** Data progress goes with the next flush (its bad rows gathered, so none is lost between two sends). */
  data(progress: DataProgress): void {
    this.dataBadRows.push(...progress.newBadRows.slice(0, Math.max(0, 1000 - this.dataBadRows.length)));
    this.latestData = progress;
    // Before the first step (the first window being read) nothing else would carry it to the page.
    if (this.steps.length === 0) this.flushIfDue();
  }

  /** Sends what is waiting if the last message is at least an interval old; says whether it sent. */
  flushIfDue(): boolean {
    if (performance.now() - this.lastSent < PROGRESS_INTERVAL_MS) return false;
    return this.flush();
  }

  /** Sends what is waiting now; says whether there was anything. */
  flush(): boolean {
    if (this.latestData) {
      this.services.post({ kind: 'train-data', runId: this.runId, data: { ...this.latestData, newBadRows: this.dataBadRows } });
      this.latestData = null;
      this.dataBadRows = [];
    }
    if (this.steps.length === 0 && this.validations.length === 0) return false;
    this.services.post({ kind: 'train-progress', runId: this.runId, steps: this.steps, validations: this.validations });
    this.lastSent = performance.now();
    this.steps = [];
    this.validations = [];
    return true;
  }
}

const pause = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Resolves with the run's outcome; rejects with an EngineError carrying a TrainFailure (domain 'train'). */
export async function runTraining(request: TrainStartRequest, services: WorkerServices): Promise<TrainOutcome> {
  const { runId, config } = request;
  const run: ActiveRun = { controller: new AbortController(), action: null };
  active.set(runId, run);
  const progress = new ProgressBatcher(runId, services);
  let loaded: LoadedModel | null = null;
  let sampler: RunSampler | null = null;
  let base: BaseLease | null = null;
  let checkpointStep: number | null = null;
  try {
    const storage = await OpfsRunStorage.open(runId);
    const data = await runDataset(storage, request);
    loaded = await openTrainModel(request.model);
    const model = loaded;
    const { dataset, split } = runDatasetOf(data.blob, data.settings);
    const saved = request.resume ? await storage.read(CHECKPOINT_FILE) : null;
    const from = saved ? decodeCheckpoint(saved, `${storage.where}/${CHECKPOINT_FILE}`) : null;
    if (request.resume && !from) {
      const message = 'No checkpoint had been saved yet, so the run starts over from step 0.';
      services.post({ kind: 'train-notice', runId, notice: { kind: 'message', message } });
    }
    if (from) checkSameBase(from.model, describeModel(model, config.quant));
    checkpointStep = from?.step ?? null;
    const ctx = await services.getEngine();
    // The Playground's upload is the base when it holds this file in the run's weight format; a run on another
    // file, or QLoRA's NF4 copy, gets its own upload from the session (null here), as the CLI always does.
    base = services.session()?.lendBaseFor(request.model, config.quant) ?? null;
    const drawPause = drawPauseMs(ctx);
    let deviceLost = false;
    void ctx.lost.then(() => (deviceLost = true));
    sampler = new RunSampler(ctx, model, request.samples);
    const runSampler = sampler;
    let totalSteps = 0;
    const result = await runTrainingSession({
      ctx,
      model,
      dataset,
      datasetName: data.name,
      split,
      config,
      storage,
      resume: from !== null,
      budgetBytes: request.budgetBytes,
      base: base?.uploaded,
      signal: run.controller.signal,
      openData: openDataInWorker, // read and tokenized in a data worker, off this (the GPU's) thread
      onPrepared: (sizes) =>
        services.post({
          kind: 'train-started',
          runId,
          datasetName: data.name,
          trainExamples: sizes.train,
          validationExamples: sizes.validation,
          streamed: sizes.streamed,
          fromStep: from?.step ?? 0,
          history: from?.history ?? { steps: [], validations: [] },
        }),
      onProgress: (event) => {
        totalSteps = event.totalSteps;
        progress.step(event);
      },
      onValidation: (record) => progress.validation(record),
      onDataProgress: (data) => progress.data(data),
      onNotice: (notice) => services.post({ kind: 'train-notice', runId, notice }),
      afterStep: async (step, engine) => {
        if (config.saveEvery > 0 && step % config.saveEvery === 0) checkpointStep = step;
        if (progress.flushIfDue() && drawPause > 0) await pause(drawPause);
        if (!runSampler.due(step, totalSteps)) return;
        try {
          const samples = await runSampler.sample(engine.trainer, engine.uploaded);
          progress.flush(); // the step's point before its samples
          services.post({ kind: 'train-sample', runId, step, samples });
          if (drawPause > 0) await pause(drawPause);
        } catch (error) {
          if (deviceLost) throw error;
          const message = error instanceof Error ? error.message : String(error);
          const notice = { kind: 'message', message: `Samples at step ${step} could not be generated: ${message}` } as const;
          services.post({ kind: 'train-notice', runId, notice });
        }
      },
    });
    progress.flush();
    const { loop } = result;
    const stopReason = loop.stopReason === 'aborted' && run.action === 'pause' ? 'paused' : loop.stopReason;
    let adapterId: string | null = null;
    let adapterProblem: string | null = null;
    const trained = result.adapter ?? result.ia3 ?? result.prompt;
    if (stopReason !== 'paused' && loop.steps > 0 && trained) {
      // IA³ and prompt tuning have no rank, alpha or targeted pairs.
      const pairs = result.adapter !== null;
      const targets = result.ia3 ? [...IA3_DEFAULT.targets] : pairs ? [...config.targets] : [];
      try {
        const record = await addAdapter(
          {
            name: request.runName,
            baseModel: model.name,
            method: methodRecordLabel(config.method, config.quant),
            rank: pairs ? config.rank : 0,
            alpha: pairs ? config.alpha : 0,
            targets,
            dataset: data.name,
            valLoss: loop.best?.loss ?? result.finalValLoss,
            source: 'trained',
            runId,
          },
          trained,
        );
        adapterId = record.id;
      } catch (error) {
        adapterProblem = `The adapter could not be added to the library: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return {
      stopReason,
      steps: loop.steps,
      totalSteps: loop.totalSteps,
      bestValLoss: loop.best?.loss ?? null,
      bestStep: loop.best?.step ?? null,
      finalValLoss: result.finalValLoss,
      finalTrainLoss: result.finalTrainLoss,
      adapterId,
      adapterStep: result.adapterStep,
      adapterProblem,
      tokensPerSecond: loop.tokensPerSecond,
      elapsedSeconds: loop.elapsedSeconds,
      peakBytes: result.peakBytes,
      estimatedBytes: result.estimate.totalBytes,
    };
  } catch (error) {
    progress.flush();
    throw new EngineError({ domain: 'train', ...trainFailureOf(inFormWords(error), checkpointStep) });
  } finally {
    active.delete(runId);
    sampler?.dispose();
    base?.release(); // after the sampler, whose inference model reads the same weights
    if (loaded) await closeModel(loaded).catch(() => undefined);
  }
}
