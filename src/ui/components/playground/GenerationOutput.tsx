/**
 * The run's text as it streams in, after the prompt it continues, with the run's figures; a failed run keeps the
 * text it made and says why it stopped.
 */
import { useStudio } from '../../stores/studio';
import type { GenerationState } from '../../stores/playgroundSlice';
import { GenerationStats } from './GenerationStats';
import { ProblemMessage } from './ProblemMessage';

const STATUS_TEXT: Record<GenerationState['status'], string> = {
  idle: 'Idle',
  running: 'Generating',
  done: 'Done',
  failed: 'Failed',
};

function textOf(generation: GenerationState): string {
  switch (generation.status) {
    case 'idle':
      return '';
    case 'running':
      return generation.progress.text;
    case 'done':
      return generation.outcome.text;
    case 'failed':
      return generation.text;
  }
}

export function GenerationOutput() {
  const generation = useStudio((state) => state.generation);
  const modelReady = useStudio((state) => state.model.status === 'ready');
  const status = generation.status === 'done' && generation.outcome.stopReason === 'aborted' ? 'Stopped' : STATUS_TEXT[generation.status];
  return (
    <section className="panel" aria-labelledby="output-title" aria-busy={generation.status === 'running'}>
      <div className="panel-head">
        <h3 id="output-title">Output</h3>
        <span className={`status status-generation-${generation.status}`} role="status">
          {status}
        </span>
      </div>
      {generation.status === 'idle' ? (
        <p className="empty-state">
          {modelReady ? 'Press Generate to continue the prompt.' : 'Load a model, then press Generate to see its text here.'}
        </p>
      ) : (
        <>
          <div className={`transcript${generation.input.chat ? ' chat' : ''}`}>
            <span className="transcript-prompt">{generation.input.prompt}</span>
            <output className="transcript-text" aria-label="Generated text" aria-live="off">
              {textOf(generation)}
            </output>
            {generation.status === 'running' && <span className="caret" aria-hidden="true" />}
          </div>
          {generation.status === 'running' && generation.progress.tokens === 0 && (
            <p className="muted run-note">
              Reading the prompt. The first run after loading the studio also compiles the GPU kernels, which can take
              a while on a slow GPU.
            </p>
          )}
          <GenerationStats generation={generation} />
          {generation.status === 'failed' && <ProblemMessage problem={generation.problem} id="generation-problem" />}
        </>
      )}
    </section>
  );
}
