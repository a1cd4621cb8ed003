/**
 * The model card of a library adapter: its record's facts (base, method, rank, targets, dataset, validation loss)
 * and, when the studio trained it, the run's hyperparameters, so an export says how it was made.
 */
import type { CardFacts } from '../export/model-card';
import type { AdapterRecord } from './adapter-library';
import type { RunRecord } from './run-history';
import type { TrainingConfig } from '../train/config';

/** A training run's hyperparameters as the card's rows (the CLI's runs and the studio's alike). */
export function trainingCardSettings(c: TrainingConfig, stepsDone: number): Record<string, string | number | boolean> {
  return {
    'Learning rate': c.learningRate,
    Schedule: `${c.schedule}, ${c.warmupSteps} warm-up steps`,
    'Steps done': stepsDone,
    'Batch size': `${c.batchSize} × ${c.gradAccum} accumulated`,
    'Sequence length': c.seqLen,
    Dropout: c.dropout,
    'Weight decay': c.weightDecay,
    Seed: c.seed,
    ...(c.rsLora ? { rsLoRA: true } : {}),
    ...(c.quant === 'nf4' ? { 'Base during training': 'NF4 (QLoRA)' } : {}),
  };
}

export function recordCardFacts(record: AdapterRecord, run: RunRecord | null): Omit<CardFacts, 'artifact'> {
  const settings = run ? trainingCardSettings(run.config, run.step) : {};
  return {
    name: record.name,
    baseModel: record.baseModel,
    method: record.method,
    ...(record.rank > 0 ? { rank: record.rank, alpha: record.alpha } : {}),
    targets: record.targets,
    ...(record.dataset ? { dataset: { name: record.dataset } } : {}),
    validationLoss: record.valLoss,
    settings,
  };
}
