/**
 * The automatic memory plan: from the device's limits and a budget, the run's micro-batch, gradient accumulation
 * and checkpointing are chosen so the estimate (memory-estimate.ts) fits, keeping the effective batch (micro-batch ×
 * accumulation) the user set. The settings as set come first; then checkpointing at the same micro-batch (about a
 * third more compute, no change to the batches); then smaller micro-batches, each a divisor of the effective batch,
 * with checkpointing on (fewer tokens per dispatch cost more than recomputing a layer's forward). Only a run that no
 * plan fits is refused, and the refusal names the nearest changes that would fit (an NF4 base, no dropout, a shorter
 * sequence, a larger budget), each as a whole plan.
 *
 * Without a budget the user set, the budget is a safe share of the memory the device reports (Chrome and Dawn
 * report it only with the adapter's memory-heaps property); a device that reports none is planned against its
 * buffer limits only, and the plan says so.
 */
import type { BaseStorage } from '../model/quant/storage';
import { baseWithQuantize } from '../model/quant/storage';
import type { TrainingConfig } from './config';
import {
  checkMemoryFits,
  type DeviceMemoryLimits,
  formatBytes,
  type MemoryEstimate,
  type MemoryEstimateInput,
  type MemoryVerdict,
  runEstimateInput,
} from './memory-estimate';
import { changeText, type SettingWords } from './setting-words';
import type { SettingChange } from './settings';

/** Share of the device's reported memory a run plans for by default: the tab shares the GPU with everything else. */
export const SAFE_SHARE = 0.75;
/** The shortest sequence a refusal suggests (shorter ones rarely hold a useful example). */
const MIN_SUGGESTED_SEQ_LEN = 64;

/** The settings a plan chooses. */
export interface PlanSettings {
  batchSize: number;
  gradAccum: number;
  checkpointing: boolean;
}

export interface MemoryBudget {
  bytes: number;
  /** 'set': the user's; 'device': SAFE_SHARE of what the device reports (deviceBytes). */
  source: 'set' | 'device';
  deviceBytes?: number;
}

/** The run's settings that the estimate depends on. */
export type PlannedConfig = Pick<TrainingConfig, 'rank' | 'targets' | 'batchSize' | 'seqLen' | 'gradAccum' | 'checkpointing' | 'dropout' | 'quant'>;

export interface MemoryPlanInput {
  model: MemoryEstimateInput['config'];
  /** The base as its file stores it (NF4 is applied here when the config asks for QLoRA). */
  stored: BaseStorage;
  config: PlannedConfig;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  /** The user's budget in bytes; undefined: SAFE_SHARE of deviceMemoryBytes, when the device reports it. */
  budgetBytes?: number;
  /** The device's own memory, when it reports it (AdapterReport.memoryBytes). */
  deviceMemoryBytes?: number;
  /** A resumed run keeps the plan it was started with (its data position counts micro-batches). */
  fixed?: PlanSettings;
}

/** A change of settings (or of the budget) after which a plan fits, and the bytes of that plan. */
export interface MemoryAdvice {
  change: SettingChange;
  totalBytes: number;
}

export interface MemoryPlan {
  fits: boolean;
  /** Why the plan does not fit (empty when it does): buffers and bytes, no setting names. */
  problems: string[];
  /** When nothing fits: the nearest plans that would, as data (each front end names the settings its own way). */
  advice: MemoryAdvice[];
  /** The chosen settings; when nothing fits, the smallest plan tried. */
  settings: PlanSettings;
  /** The plan differs from the settings as set. */
  changed: boolean;
  estimate: MemoryEstimate;
  budget: MemoryBudget | null;
  /** Why this plan: what the settings as set needed, when they did not fit. */
  reason: string | null;
}

export function budgetFor(budgetBytes: number | undefined, deviceMemoryBytes: number | undefined): MemoryBudget | null {
  if (budgetBytes !== undefined) return { bytes: budgetBytes, source: 'set' };
  if (deviceMemoryBytes !== undefined && deviceMemoryBytes > 0) {
    return { bytes: Math.floor(deviceMemoryBytes * SAFE_SHARE), source: 'device', deviceBytes: deviceMemoryBytes };
  }
  return null;
}

/** Micro-batch sizes that divide the effective batch, from the one set down to 1. */
function microBatches(batchSize: number, effective: number): number[] {
  const out: number[] = [];
  for (let b = batchSize; b >= 1; b--) if (effective % b === 0) out.push(b);
  return out;
}

/** The plans tried, in order of preference. */
export function candidatePlans(asked: PlanSettings): PlanSettings[] {
  const effective = asked.batchSize * asked.gradAccum;
  const out: PlanSettings[] = [asked];
  for (const b of microBatches(asked.batchSize, effective)) {
    const plan = { batchSize: b, gradAccum: effective / b, checkpointing: true };
    if (b !== asked.batchSize || !asked.checkpointing) out.push(plan);
  }
  return out;
}

const sameSettings = (a: PlanSettings, b: PlanSettings) =>
  a.batchSize === b.batchSize && a.gradAccum === b.gradAccum && a.checkpointing === b.checkpointing;

function verdictOf(input: MemoryPlanInput, config: PlannedConfig, settings: PlanSettings, budget: MemoryBudget | null) {
  const storage = baseWithQuantize(input.stored, config.quant);
  return checkMemoryFits(runEstimateInput(input.model, storage, { ...config, ...settings }), {
    ...input.limits,
    budgetBytes: budget?.bytes,
  } satisfies DeviceMemoryLimits);
}

/** The first plan that fits `config`, or the last (smallest) one tried with its verdict. */
function firstFitting(input: MemoryPlanInput, config: PlannedConfig, budget: MemoryBudget | null) {
  const asked = { batchSize: config.batchSize, gradAccum: config.gradAccum, checkpointing: config.checkpointing };
  const plans = input.fixed ? [input.fixed] : candidatePlans(asked);
  let last = null as null | { settings: PlanSettings; verdict: MemoryVerdict };
  for (const settings of plans) {
    last = { settings, verdict: verdictOf(input, config, settings, budget) };
    if (last.verdict.fits) break;
  }
  return { asked, ...last! };
}

export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const budget = budgetFor(input.budgetBytes, input.deviceMemoryBytes);
  const { asked, settings, verdict } = firstFitting(input, input.config, budget);
  const changed = !sameSettings(asked, settings);
  let reason: string | null = null;
  if (changed && input.fixed) {
    reason = 'a resumed run keeps the plan it started with (its data position counts micro-batches)';
  } else if (changed) {
    const askedVerdict = verdictOf(input, input.config, asked, budget);
    reason = `as set (${settingsText(asked)}) ${askedVerdict.problems.join('; ')}`;
  }
  const advice = verdict.fits ? [] : nearestFittingPlans(input, budget, verdict.estimate.totalBytes);
  const problems = [...verdict.problems];
  if (budget && budget.bytes < verdict.estimate.weightBytes) {
    problems.unshift(`the base's weights alone need ${formatBytes(verdict.estimate.weightBytes)}, more than the ${formatBytes(budget.bytes)} budget`);
  }
  return { fits: verdict.fits, problems, advice, settings, changed, estimate: verdict.estimate, budget, reason };
}

/**
 * For a run no plan fits: each change of settings (or of the budget) after which a plan does fit, with the bytes of
 * the plan it gives: an NF4 base, no dropout, the longest halved sequence that fits, then a budget that holds the
 * smallest plan (when the budget is all that stands in the way).
 */
function nearestFittingPlans(input: MemoryPlanInput, budget: MemoryBudget | null, smallestBytes: number): MemoryAdvice[] {
  const c = input.config;
  const tries: { change: MemoryAdvice['change']; config: PlannedConfig }[] = [];
  if (c.quant !== 'nf4' && baseWithQuantize(input.stored, 'nf4').linears !== input.stored.linears) {
    tries.push({ change: { kind: 'set', setting: 'quant', to: 'nf4' }, config: { ...c, quant: 'nf4' } });
  }
  if (c.dropout > 0) tries.push({ change: { kind: 'set', setting: 'dropout', to: 0 }, config: { ...c, dropout: 0 } });
  for (let seqLen = Math.floor(c.seqLen / 2); seqLen >= MIN_SUGGESTED_SEQ_LEN; seqLen = Math.floor(seqLen / 2)) {
    const shorter = { ...c, seqLen };
    if (firstFitting(input, shorter, budget).verdict.fits) {
      tries.push({ change: { kind: 'set', setting: 'seqLen', to: seqLen }, config: shorter });
      break;
    }
  }
  const out: MemoryAdvice[] = [];
  for (const t of tries) {
    const found = firstFitting(input, t.config, budget);
    if (found.verdict.fits) out.push({ change: t.change, totalBytes: found.verdict.estimate.totalBytes });
  }
  // A bigger budget helps only when the budget is all that stands in the way.
  if (budget) {
    const unbudgeted = firstFitting(input, c, null);
    if (unbudgeted.verdict.fits) out.push({ change: { kind: 'budget', bytes: smallestBytes }, totalBytes: smallestBytes });
  }
  return out;
}

/** "micro-batch 2 × accumulation 4, checkpointing on". */
export function settingsText(s: PlanSettings): string {
  return `micro-batch ${s.batchSize} × accumulation ${s.gradAccum}, checkpointing ${s.checkpointing ? 'on' : 'off'}`;
}

/** "micro-batch 2 × accumulation 4, checkpointing on: 1.80 GiB of 4.00 GiB" (of the device's limits when no budget). */
export function planText(plan: MemoryPlan): string {
  const of = plan.budget
    ? ` of ${formatBytes(plan.budget.bytes)}${plan.budget.source === 'device' ? ` (${Math.round(SAFE_SHARE * 100)}% of the GPU's ${formatBytes(plan.budget.deviceBytes!)})` : ''}`
    : ' (the device reports no memory size: planned against its buffer limits only; set a budget to plan for one)';
  return `${settingsText(plan.settings)}: ${formatBytes(plan.estimate.totalBytes)}${of}`;
}

/** Why the plan differs from the settings as set (empty when it does not). */
export function planReasonText(plan: MemoryPlan): string {
  return plan.reason ? `Chosen because ${plan.reason}.` : '';
}

/** A refusal: what no plan fixes, and the nearest plans that would fit, the settings named as `words` names them. */
export function noPlanText(plan: MemoryPlan, words: SettingWords): string {
  const nearest = plan.advice.map((a) => `${changeText(a.change, words)}: about ${formatBytes(a.totalBytes)}`);
  return (
    `no plan fits: even ${settingsText(plan.settings)} needs ${formatBytes(plan.estimate.totalBytes)} (${plan.problems.join('; ')}).` +
    (nearest.length ? ` Would fit: ${nearest.join('; ')}.` : '')
  );
}

/** The run's config with the plan's settings. */
export function withPlan<C extends PlannedConfig>(config: C, plan: MemoryPlan): C {
  return { ...config, ...plan.settings };
}
