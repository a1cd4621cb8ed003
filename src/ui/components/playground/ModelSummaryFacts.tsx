/**
 * What the loaded model is and what it costs on the GPU, from the engine's summary, and what a LoRA training run on
 * it would need (the engine's memory estimator with the default training settings, named beside each figure).
 */
import type { ModelSummary } from '../../../worker/protocol';
import { formatBytes, formatCount } from '../../format';
import { useStudio } from '../../stores/studio';
import { FactList } from '../FactList';

const FORMAT_NAMES = { gguf: 'GGUF', hf: 'Hugging Face' } as const;

const TEMPLATE_NAMES: Record<ModelSummary['chatTemplate'], string> = {
  model: 'The model’s own',
  chatml: 'ChatML (default)',
  plain: 'Plain text (model has none)',
};

function facts(s: ModelSummary): [string, string][] {
  const context =
    s.contextLength === s.fileContextLength
      ? formatCount(s.contextLength)
      : `${formatCount(s.contextLength)} (file: ${formatCount(s.fileContextLength)})`;
  return [
    ['Architecture', s.architecture],
    ['Layers', formatCount(s.layers)],
    ['Hidden size', `${formatCount(s.hiddenSize)} (MLP ${formatCount(s.intermediateSize)})`],
    ['Heads', `${s.heads} query, ${s.kvHeads} KV, ${s.headDim} wide`],
    ['Vocabulary', formatCount(s.vocabSize)],
    ['Context', `${context} tokens`],
    ['Parameters', `${formatCount(s.parameters)} (${s.tiedEmbeddings ? 'tied output head' : 'separate output head'})`],
    ['Quantization', s.quantization.join(', ')],
    ['GPU memory', `${formatBytes(s.weightBytes)} weights, ${formatBytes(s.cacheBytes)} cache`],
    ['Chat template', TEMPLATE_NAMES[s.chatTemplate]],
    ['Load time', `${(s.loadMilliseconds / 1000).toFixed(2)} s`],
  ];
}

/** Estimated peak GPU bytes of a training run, per setup; the first line is the default settings. */
function TrainingMemory({ model }: { model: string }) {
  const card = useStudio((state) => state.modelCard);
  if (card.status === 'none' || card.model !== model) return null;
  return (
    <div className="training-memory">
      <h4 id="training-memory-title">Training memory (estimate)</h4>
      {card.status === 'loading' && <p className="muted">Estimating…</p>}
      {card.status === 'failed' && <p className="field-error">{card.message}</p>}
      {card.status === 'ready' && (
        <ul aria-labelledby="training-memory-title">
          {card.training.map((figure) => (
            <li key={figure.settings}>
              <strong>{formatBytes(figure.totalBytes)}</strong>
              <span className="muted">
                {' '}
                for {figure.settings}: weights {formatBytes(figure.weightBytes)}, adapter and optimizer{' '}
                {formatBytes(figure.adapterBytes)}, activations {formatBytes(figure.activationBytes)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ModelSummaryFacts({ summary }: { summary: ModelSummary }) {
  return (
    <div className="model-summary">
      <p className="model-name">
        <strong>{summary.name}</strong>
        <span className="format-badge">{FORMAT_NAMES[summary.format]}</span>
      </p>
      <FactList facts={facts(summary)} className="facts compact" label="Loaded model" />
      <TrainingMemory model={summary.name} />
      {summary.warnings.length > 0 && (
        <ul className="notice model-warnings" aria-label="Warnings">
          {summary.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
