/**
 * The run's memory plan for the form as it stands: the estimated GPU memory, the micro-batch, accumulation and
 * checkpointing it will train with (changed from the form's when those do not fit, and why), or why no plan fits.
 */
import { useMemo } from 'react';
import type { ModelConfig } from '../../../model/config';
import type { TrainingConfig } from '../../../train/config';
import { formatBytes, trainableParameterCount } from '../../../train/memory-estimate';
import { methodSummary } from '../../../train/settings';
import { useStudio } from '../../stores/studio';
import { checkRunMemory } from '../../train/memory';
import { parseTrainForm } from '../../train/train-form';

export function MemoryEstimate() {
  const form = useStudio((state) => state.trainForm);
  const model = useStudio((state) => state.trainModel);
  const report = useStudio((state) => (state.device.status === 'ready' ? state.device.report : null));
  // One parse of the form gives both the plan and the line on what the run trains.
  const read = useMemo(() => {
    if (model.status !== 'ready') return null;
    const parsed = parseTrainForm(form, model.info.config);
    if (!parsed.ok) return 'invalid' as const;
    const device = report && { ...report.limits, memoryBytes: report.memoryBytes };
    return {
      check: checkRunMemory(parsed.parsed.config, model.info.config, device, parsed.parsed.budgetBytes, model.info.storage),
      trains: trainsLine(parsed.parsed.config, model.info.config),
    };
  }, [form, model, report]);

  if (read === null) {
    return <p className="train-memory muted">Memory estimate: waiting for the base model…</p>;
  }
  if (read === 'invalid') {
    return <p className="train-memory muted">Memory estimate: fix the marked settings to see it.</p>;
  }
  const { check, trains } = read;
  const e = check.estimate;
  return (
    <div className={`train-memory${check.fits ? '' : ' over'}`} data-testid="train-memory" aria-live="polite">
      <p data-testid="train-parameters">{trains}</p>
      <p>
        <strong>Estimated GPU memory: {formatBytes(e.totalBytes)}</strong>{' '}
        <span className={`status ${check.fits ? 'status-fits' : 'status-over'}`}>{check.fits ? 'fits' : 'does not fit'}</span>
      </p>
      {check.fits && (
        <p data-testid="train-memory-plan">
          Plan: {check.planLine}
          {check.plan.changed && <span className="field-hint"> {check.reason}</span>}
        </p>
      )}
      <p className="field-hint">
        Weights {formatBytes(e.weightBytes)} · adapter and optimizer {formatBytes(e.adapterBytes)} · activations{' '}
        {formatBytes(e.activationBytes)} · scratch {formatBytes(e.scratchBytes)}
      </p>
      {!check.fits && (
        <p className="field-error" role="alert">
          {check.message}
        </p>
      )}
    </div>
  );
}

/** What the run trains, in a line: the method, where, and how many parameters that is on this base. */
function trainsLine(config: TrainingConfig, model: ModelConfig): string {
  const count = trainableParameterCount(config, model).toLocaleString('en-US');
  if (config.method === 'ia3') return `Trains ${count} parameters: IA³ scales on k, v and the MLP's down input, in every layer.`;
  if (config.method === 'prompt') {
    return `Trains ${count} parameters: ${methodSummary(config)} before every sequence (an input, so it cannot be merged into the model).`;
  }
  const where = `${methodSummary(config)} on ${config.targets.join(', ')}`;
  return config.method === 'dora'
    ? `Trains ${count} parameters: ${where}, with a magnitude per output row, in every layer.`
    : `Trains ${count} parameters: ${where}, in every layer.`;
}
