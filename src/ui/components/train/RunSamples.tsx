/** Generations from the fixed prompts with the adapter as it was at a step, newest first. */
import type { TrainSample } from '../../../worker/train-protocol';

export function RunSamples({ samples }: { samples: { step: number; samples: TrainSample[] }[] }) {
  if (samples.length === 0) {
    return <p className="empty-state">Samples appear here every few steps, generated with the adapter as it is then.</p>;
  }
  return (
    <ol className="train-samples" aria-label="Sample generations" reversed>
      {[...samples].reverse().map((s) => (
        <li key={s.step} className="train-sample-set">
          <h5>Step {s.step}</h5>
          {s.samples.map((sample, i) => (
            <div key={i} className="train-sample">
              <p className="train-sample-prompt">{sample.prompt}</p>
              <p className="train-sample-text" data-testid="train-sample-text">
                {sample.text || <span className="muted">(nothing: the model ended at once)</span>}
              </p>
            </div>
          ))}
        </li>
      ))}
    </ol>
  );
}
