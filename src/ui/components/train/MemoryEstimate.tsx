/** The run's estimated GPU memory for the form as it stands, and whether it fits this device (and the budget). */
import { useMemo } from 'react';
import { formatBytes } from '../../../train/memory-estimate';
import { useStudio } from '../../stores/studio';
import { checkRunMemory } from '../../train/memory';
import { parseTrainForm } from '../../train/train-form';

export function MemoryEstimate() {
  const form = useStudio((state) => state.trainForm);
  const model = useStudio((state) => state.trainModel);
  const limits = useStudio((state) => (state.device.status === 'ready' ? state.device.report.limits : null));
  const check = useMemo(() => {
    if (model.status !== 'ready') return null;
    const parsed = parseTrainForm(form, model.info.config);
    if (!parsed.ok) return 'invalid' as const;
    return checkRunMemory(parsed.parsed.config, model.info.config, limits, parsed.parsed.budgetBytes, model.info.weights);
  }, [form, model, limits]);

  if (check === null) {
    return <p className="train-memory muted">Memory estimate: waiting for the base model…</p>;
  }
  if (check === 'invalid') {
    return <p className="train-memory muted">Memory estimate: fix the marked settings to see it.</p>;
  }
  const e = check.estimate;
  return (
    <div className={`train-memory${check.fits ? '' : ' over'}`} data-testid="train-memory" aria-live="polite">
      <p>
        <strong>Estimated GPU memory: {formatBytes(e.totalBytes)}</strong>{' '}
        <span className={`status ${check.fits ? 'status-fits' : 'status-over'}`}>{check.fits ? 'fits' : 'does not fit'}</span>
      </p>
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
