/**
 * The run on show (the live one, or one picked from the history): its status, progress with ETA, the controls
 * that fit its state, what went wrong and how to continue, the live charts (lazy) and the sample generations.
 */
import { lazy, Suspense } from 'react';
import type { RunRecord, RunStatus } from '../../../library/run-history';
import { formatBytes } from '../../../train/memory-estimate';
import { methodSummary } from '../../../train/settings';
import { useStudio } from '../../stores/studio';
import type { LiveRun } from '../../stores/trainSlice';
import { etaText, examplesText } from '../../train/data-progress';
import { needsModelFile, pauseTraining, resumeTraining, stopTraining } from '../../train/train-bridge';
import { DataProgressLine } from './DataProgressLine';
import { FileButton } from './FileButton';
import { FolderButton } from './FolderButton';
import { RunSamples } from './RunSamples';

/** The charts' chunk (recharts): fetched when the Train view opens (see preloadCharts), never in the first page load. */
const chartsChunk = () => import('./TrainCharts');
const TrainCharts = lazy(() => chartsChunk().then((m) => ({ default: m.TrainCharts })));

/** Parses recharts before a run starts, so its first chart does not cost a long task mid-run. */
export function preloadCharts(): void {
  void chartsChunk();
}

const NO_POINTS: RunRecord['points'] = [];
const NO_VALIDATIONS: RunRecord['validations'] = [];

/**
 * The charts stay mounted from the moment the view opens (empty until a run has points): mounting recharts costs
 * a long main-thread task, which must not happen while a run trains.
 */
function LiveCharts({ run }: { run: RunRecord | null }) {
  const live = useStudio((state) => run !== null && state.live?.runId === run.id && state.live.phase !== 'ended');
  return (
    <Suspense fallback={<p className="loading-line">Loading charts…</p>}>
      <TrainCharts runId={run?.id ?? null} live={live} points={run?.points ?? NO_POINTS} validations={run?.validations ?? NO_VALIDATIONS} />
    </Suspense>
  );
}

const STATUS_TEXT: Record<RunStatus, string> = {
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  finished: 'Finished',
  failed: 'Failed',
  interrupted: 'Interrupted',
};

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const loss = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(4));

function statusLabel(run: RunRecord, live: LiveRun | null): string {
  if (live?.phase === 'pausing') return 'Pausing…';
  if (live?.phase === 'stopping') return 'Stopping…';
  if (live?.phase === 'starting') return 'Starting…';
  return STATUS_TEXT[run.status];
}

function Progress({ run, live }: { run: RunRecord; live: LiveRun | null }) {
  const p = live?.progress ?? null;
  const total = p?.totalSteps ?? run.totalSteps;
  const step = p?.step ?? run.step;
  const preparing = live && (live.phase === 'starting' || (live.phase === 'running' && !p));
  return (
    <div className="train-progress">
      <progress max={Math.max(1, total)} value={step} aria-label="Training progress" />
      <p className="train-progress-line" data-testid="train-progress">
        <span>
          Step <strong data-testid="train-step">{step}</strong> of {total || '—'}
        </span>
        {p && live?.phase !== 'ended' && <span>ETA {etaText(formatDuration(p.etaSeconds), p.etaEstimated)}</span>}
        {p && <span>{p.tokensPerSecond.toFixed(0)} tokens/s</span>}
        <span>Loss {loss(run.points.at(-1)?.loss)}</span>
        <span>Best val {loss(run.bestValLoss)}</span>
        {p?.peakBytes ? <span>GPU peak {formatBytes(p.peakBytes)}</span> : null}
      </p>
      {preparing && (
        <p className="muted train-preparing" role="status">
          {live.phase === 'starting' ? 'Reading the dataset and the base model…' : 'Uploading the base and compiling GPU kernels (on a CPU driver the first step takes a minute or two)…'}
        </p>
      )}
    </div>
  );
}

function Controls({ run, live }: { run: RunRecord; live: LiveRun | null }) {
  const busy = useStudio((state) => state.live !== null && state.live.phase !== 'ended');
  const isLive = live !== null && live.phase !== 'ended';
  if (isLive) {
    const settling = live.phase === 'pausing' || live.phase === 'stopping';
    return (
      <div className="actions train-controls">
        <button type="button" className="button secondary" onClick={pauseTraining} disabled={settling}>
          Pause
        </button>
        <button type="button" className="button secondary" onClick={stopTraining} disabled={settling}>
          Stop and keep the adapter
        </button>
      </div>
    );
  }
  const source = run.model.source;
  if ((run.status === 'paused' || run.status === 'interrupted') && source.kind === 'folder' && needsModelFile(run)) {
    return (
      <div className="actions train-controls">
        <FolderButton
          className="file-button button"
          label={`Choose the folder ${source.label} again to resume`}
          disabled={busy}
          onFiles={(files) => void resumeTraining(run.id, files)}
        >
          Choose the folder {source.label} to resume
        </FolderButton>
        <span className="muted">The browser does not keep opened folders across reloads.</span>
      </div>
    );
  }
  if ((run.status === 'paused' || run.status === 'interrupted') && source.kind === 'gguf-file' && needsModelFile(run)) {
    const name = source.name;
    return (
      <div className="actions train-controls">
        <FileButton
          className="file-button button"
          label={`Choose ${name} again to resume`}
          accept=".gguf"
          disabled={busy}
          onFile={(file) => void resumeTraining(run.id, file)}
        >
          Choose {name} to resume
        </FileButton>
        <span className="muted">The browser does not keep opened files across reloads.</span>
      </div>
    );
  }
  if (run.status === 'paused' || run.status === 'interrupted') {
    return (
      <div className="actions train-controls">
        <button type="button" className="button" onClick={() => void resumeTraining(run.id)} disabled={busy}>
          Resume from {run.checkpointStep === null ? 'the start' : `step ${run.checkpointStep}`}
        </button>
      </div>
    );
  }
  return null;
}

function ResumeRefusal() {
  const refusal = useStudio((state) => (state.trainRefusal?.where === 'resume' ? state.trainRefusal : null));
  if (!refusal) return null;
  return (
    <div className="inline-problem" role="alert" data-testid="train-resume-refusal">
      <h4>{refusal.title}</h4>
      <p className="inline-problem-message">{refusal.message}</p>
    </div>
  );
}

function Outcome({ run, live }: { run: RunRecord; live: LiveRun | null }) {
  if (run.status !== 'finished' && run.status !== 'stopped') return null;
  const o = live?.outcome ?? null;
  return (
    <p className="train-outcome" role="status" data-testid="train-outcome">
      {run.status === 'finished' ? 'Finished' : 'Stopped'} after {run.step} steps
      {run.bestValLoss !== null ? `, best validation loss ${loss(run.bestValLoss)}` : ''}
      {o && o.bestStep !== null ? ` (step ${o.bestStep})` : ''}.{' '}
      {run.adapterId ? (
        <>
          The adapter{o ? ` from step ${o.adapterStep}` : ''} is in the library: see <a href="#adapters">Adapters</a>.
        </>
      ) : (
        'No adapter was kept.'
      )}
    </p>
  );
}

function RunHead({ run, live }: { run: RunRecord; live: LiveRun | null }) {
  const problem =
    live?.problem ??
    (run.problem ? { title: run.status === 'interrupted' ? 'This run was interrupted' : 'This run had a problem', message: run.problem.message } : null);
  return (
    <>
      <div className="panel-head">
        <h3 id="train-run-title">{run.name}</h3>
        <span className={`status train-status-${run.status}`} data-testid="train-status">
          {statusLabel(run, live)}
        </span>
      </div>
      <p className="muted train-run-facts">
        {run.dataset.name} on {run.model.name} · {methodSummary(run.config)} · lr {run.config.learningRate} · batch{' '}
        {run.config.batchSize}×{run.config.seqLen}
        {live?.data ? ` · ${examplesText(live.data)}` : ''}
      </p>
      <Progress run={run} live={live} />
      {live && <DataProgressLine live={live} />}
      <Controls run={run} live={live} />
      <ResumeRefusal />
      {problem && (
        <div className="inline-problem" role="alert" data-testid="train-problem">
          <h4>{problem.title}</h4>
          <p className="inline-problem-message">{problem.message}</p>
        </div>
      )}
      <Outcome run={run} live={live} />
      {live && live.notices.length > 0 && (
        <ul className="train-notices" aria-label="Notices">
          {live.notices.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
    </>
  );
}

export function RunPanel() {
  const run = useStudio((state) => state.runs.find((r) => r.id === state.shownRunId) ?? null);
  const liveState = useStudio((state) => state.live);
  const live = run && liveState?.runId === run.id ? liveState : null;
  const samples = live?.samples.length ? live.samples : run?.lastSamples ? [run.lastSamples] : [];
  // One tree whatever is shown, so the charts below stay mounted from "no run" to a run (see LiveCharts).
  return (
    <section className="panel train-run" aria-labelledby="train-run-title">
      {run ? (
        <RunHead run={run} live={live} />
      ) : (
        <>
          <div className="panel-head">
            <h3 id="train-run-title">Run</h3>
          </div>
          <p className="empty-state">
            No run yet. Pick a preset and press Start training: the loss curves, samples and progress appear here.
          </p>
        </>
      )}
      <LiveCharts run={run} />
      {run && (
        <>
          <h4>Samples</h4>
          <RunSamples samples={samples} />
        </>
      )}
    </section>
  );
}
