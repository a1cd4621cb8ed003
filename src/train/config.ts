/**
 * A training run's settings: one plain, JSON-serialisable object, stored in every checkpoint so `--resume` can
 * refuse to continue a run with different settings. What each setting accepts, and its default, is in the one
 * table of src/train/settings.ts; `checkTrainingConfig` turns bad values into TrainingConfigErrors (data the
 * front ends word) before anything touches the GPU.
 */
import type { OptimizerHyperparameters } from '../gpu/train/types';
import type { ModelConfig } from '../model/config';
import type { LoraTarget } from '../model/lora-targets';
import type { ScheduleKind } from './schedule';
import { issueText, KEY_WORDS } from './setting-words';
import {
  LORA_ONLY_SETTINGS,
  PROMPT_ONLY_SETTINGS,
  SETTING_KEYS,
  SETTINGS,
  type SettingIssue,
  type SettingKey,
  settingProblem,
  type TrainingMethod,
  trainsLoraPairs,
} from './settings';

/** AdamW's settings (learningRate, betas, eps, weightDecay, maxGradNorm) are the optimizer's own hyperparameters. */
export interface TrainingConfig extends OptimizerHyperparameters {
  method: TrainingMethod;
  // LoRA
  rank: number;
  alpha: number;
  rsLora: boolean;
  targets: LoraTarget[];
  dropout: number;
  // Prompt tuning
  /** Virtual tokens before every sequence (they count in seqLen). */
  virtualTokens: number;
  /** The text whose tokens' embeddings start the prompt ('' : random vocabulary tokens). */
  promptInit: string;
  // Schedule
  schedule: ScheduleKind;
  warmupSteps: number;
  /** Final learning rate of linear/cosine decay, as a fraction of the peak. */
  minLrRatio: number;
  // Batches
  /** Sequences per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimizer step. */
  gradAccum: number;
  /** Longest sequence in tokens; longer examples are truncated (and counted). */
  seqLen: number;
  /** An example longer than seqLen: cut it (and count it), or refuse the dataset naming the examples. */
  overLength: 'truncate' | 'refuse';
  /** Pack several short examples into one sequence slot (they never attend to each other). */
  pack: boolean;
  /** Train on prompt/user tokens too, not only the completion/assistant tokens. */
  trainOnInputs: boolean;
  // Length: exactly one of maxSteps / epochs is set
  maxSteps: number | null;
  epochs: number | null;
  /** Rows of the file shuffled together (a streamed file's shuffle buffer); a file this small is shuffled whole. */
  shuffleWindow: number;
  // Validation, checkpoints
  valSplit: number;
  /** Optimizer steps between validations (0 = only at the end). */
  evalEvery: number;
  /** Optimizer steps between checkpoints (0 = only at the end). */
  saveEvery: number;
  /** Validations without improvement before stopping (0 = never stop early). */
  patience: number;
  /** Export the adapter of the best validation loss rather than the last one. */
  keepBest: boolean;
  // Engine
  seed: number;
  checkpointing: boolean;
  quant: 'none' | 'nf4';
}

/** The table's defaults (src/train/settings.ts), as one config; the list of targets is a fresh copy. */
export const DEFAULT_TRAINING_CONFIG: TrainingConfig = Object.fromEntries(
  SETTING_KEYS.map((key) => {
    const d = SETTINGS[key].default;
    return [key, Array.isArray(d) ? [...d] : d];
  }),
) as unknown as TrainingConfig;

/**
 * A setting that cannot work, as data (`issue`: the setting's key, the problem, and advice where there is some).
 * The message names the setting by its key; the CLI and the studio word `issue` themselves.
 */
export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError';
  constructor(readonly issue: SettingIssue) {
    super(`${issue.setting}: ${issueText(issue, KEY_WORDS)}`);
  }

  get setting(): SettingKey {
    return this.issue.setting;
  }
}

function throwFirst(issues: SettingIssue[]): void {
  if (issues.length > 0) throw new TrainingConfigError(issues[0]);
}

/** Every setting whose value the table refuses, in the table's order, then a run length that is not exactly one of steps and epochs. */
export function configIssues(c: TrainingConfig): SettingIssue[] {
  const issues: SettingIssue[] = [];
  for (const setting of SETTING_KEYS) {
    const problem = settingProblem(setting, c[setting]);
    if (problem) issues.push({ setting, problem });
  }
  if ((c.maxSteps === null) === (c.epochs === null)) issues.push({ setting: 'maxSteps', problem: { kind: 'one-of', other: 'epochs' } });
  // A setting of another method moved from its default would be ignored silently: IA³ and prompt tuning have no
  // rank, pair, scale or adapter input; only prompt tuning has virtual tokens.
  const foreign = [...(trainsLoraPairs(c.method) ? [] : LORA_ONLY_SETTINGS), ...(c.method === 'prompt' ? [] : PROMPT_ONLY_SETTINGS)];
  for (const setting of foreign) {
    if (JSON.stringify(c[setting]) !== JSON.stringify(SETTINGS[setting].default)) issues.push({ setting, problem: { kind: 'not-for-method', method: c.method } });
  }
  if (c.method === 'prompt' && Number.isInteger(c.seqLen) && Number.isInteger(c.virtualTokens) && c.seqLen - c.virtualTokens < 2) {
    issues.push({
      setting: 'virtualTokens',
      problem: { kind: 'no-room-for-text', value: c.virtualTokens, seqLen: c.seqLen },
      advice: c.seqLen > 2 ? { setting: 'virtualTokens', atMost: c.seqLen - 2 } : undefined,
    });
  }
  return issues;
}

export function checkTrainingConfig(c: TrainingConfig): void {
  throwFirst(configIssues(c));
}

/** The (out, in) dimensions of each target in this model. */
export function targetShapes(m: ModelConfig): Record<LoraTarget, { out: number; in: number }> {
  const q = m.numHeads * m.headDim;
  const kv = m.numKvHeads * m.headDim;
  const c = m.hiddenSize;
  const f = m.intermediateSize;
  return {
    q: { out: q, in: c },
    k: { out: kv, in: c },
    v: { out: kv, in: c },
    o: { out: c, in: q },
    gate: { out: f, in: c },
    up: { out: f, in: c },
    down: { out: c, in: f },
  };
}

/** A rank above a targeted layer's smaller dimension adds nothing a full update could not, and wastes memory. */
export function rankIssues(c: TrainingConfig, m: ModelConfig): SettingIssue[] {
  if (!trainsLoraPairs(c.method)) return [];
  const shapes = targetShapes(m);
  for (const target of c.targets) {
    const { out, in: inp } = shapes[target] ?? { out: Infinity, in: Infinity };
    if (c.rank > Math.min(out, inp)) {
      return [
        {
          setting: 'rank',
          problem: { kind: 'rank-above-projection', value: c.rank, target, out, in: inp },
          advice: { setting: 'rank', atMost: Math.min(out, inp) },
        },
      ];
    }
  }
  return [];
}

/**
 * Sliding-window attention (Mistral v0.1): the training kernels attend causally over the whole sequence, which is
 * the model's attention only while a sequence fits in the window, so longer sequences are refused.
 */
export function windowIssues(c: TrainingConfig, m: ModelConfig): SettingIssue[] {
  if (m.slidingWindow === null || c.seqLen <= m.slidingWindow) return [];
  return [
    {
      setting: 'seqLen',
      problem: { kind: 'beyond-window', value: c.seqLen, window: m.slidingWindow },
      advice: { setting: 'seqLen', atMost: m.slidingWindow },
    },
  ];
}

export function checkRankFits(c: TrainingConfig, m: ModelConfig): void {
  throwFirst(rankIssues(c, m));
}

export function checkWindowFits(c: TrainingConfig, m: ModelConfig): void {
  throwFirst(windowIssues(c, m));
}

/** Everything the session will refuse about these settings before a run: the table, then the base's shapes. */
export function trainingConfigIssues(c: TrainingConfig, m: ModelConfig | null): SettingIssue[] {
  const issues = configIssues(c);
  if (!m) return issues;
  return [...issues, ...rankIssues(c, m), ...windowIssues(c, m)];
}

/** The settings a resumed run must share with the checkpoint (the length of the run may grow). */
export function resumeIncompatibilities(saved: TrainingConfig, now: TrainingConfig): string[] {
  const free = new Set<keyof TrainingConfig>(['maxSteps', 'epochs', 'evalEvery', 'saveEvery', 'patience', 'keepBest']);
  const out: string[] = [];
  for (const key of Object.keys(saved) as (keyof TrainingConfig)[]) {
    if (free.has(key)) continue;
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      out.push(`${key} was ${JSON.stringify(saved[key])}, now ${JSON.stringify(now[key])}`);
    }
  }
  return out;
}
