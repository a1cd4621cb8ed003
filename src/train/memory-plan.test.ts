/** The memory plan: which micro-batch, accumulation and checkpointing it picks for a budget, and what it says. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { LORA_TARGETS } from '../model/lora-targets';
import { configFromHf } from '../model/config';
import { F32_BASE } from '../model/quant/storage';
import { DEFAULT_TRAINING_CONFIG } from './config';
import { estimateTrainingMemory } from './memory-estimate';
import {
  candidatePlans,
  type MemoryPlanInput,
  noPlanText,
  type PlanSettings,
  planMemory,
  planReasonText,
  planText,
} from './memory-plan';
import { KEY_WORDS } from './setting-words';

const SMOL = configFromHf(JSON.parse(await readFile('../shared/models/SmolLM2-135M-Instruct-tokenizer/config.json', 'utf8')));
const BF16 = { linears: 'bf16', embedding: 'bf16', head: null } as const;
const ROOMY = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 };
const CONFIG = { ...DEFAULT_TRAINING_CONFIG, rank: 16, targets: [...LORA_TARGETS], seqLen: 512, batchSize: 8, gradAccum: 1, checkpointing: false, dropout: 0, quant: 'none' as const };

function input(over: Partial<MemoryPlanInput> = {}, config: Partial<typeof CONFIG> = {}): MemoryPlanInput {
  return { model: SMOL, stored: BF16, config: { ...CONFIG, ...config }, limits: ROOMY, ...over };
}

/** The estimate of one plan, as the planner makes it. */
function bytesOf(s: PlanSettings, config: Partial<typeof CONFIG> = {}): number {
  const c = { ...CONFIG, ...config };
  return estimateTrainingMemory({
    config: SMOL,
    storage: BF16,
    rank: c.rank,
    targets: c.targets,
    maxTokens: s.batchSize * c.seqLen,
    checkpointing: s.checkpointing,
    dropout: c.dropout > 0,
    maxBindingBytes: ROOMY.maxStorageBufferBindingSize,
  }).totalBytes;
}

describe('candidatePlans', () => {
  it('tries the settings as set, then checkpointing, then smaller micro-batches that divide the effective batch', () => {
    expect(candidatePlans({ batchSize: 6, gradAccum: 2, checkpointing: false })).toEqual([
      { batchSize: 6, gradAccum: 2, checkpointing: false },
      { batchSize: 6, gradAccum: 2, checkpointing: true },
      { batchSize: 4, gradAccum: 3, checkpointing: true },
      { batchSize: 3, gradAccum: 4, checkpointing: true },
      { batchSize: 2, gradAccum: 6, checkpointing: true },
      { batchSize: 1, gradAccum: 12, checkpointing: true },
    ]);
    // Checkpointing already on: the settings are not tried twice.
    expect(candidatePlans({ batchSize: 2, gradAccum: 1, checkpointing: true })).toEqual([
      { batchSize: 2, gradAccum: 1, checkpointing: true },
      { batchSize: 1, gradAccum: 2, checkpointing: true },
    ]);
  });
});

describe('planMemory', () => {
  it('keeps settings that fit, and says of how much', () => {
    const plan = planMemory(input({ budgetBytes: 8 * 2 ** 30 }));
    expect(plan).toMatchObject({ fits: true, changed: false, reason: null, settings: { batchSize: 8, gradAccum: 1, checkpointing: false } });
    expect(plan.estimate.totalBytes).toBe(bytesOf(plan.settings));
    expect(planText(plan)).toMatch(/^micro-batch 8 × accumulation 1, checkpointing off: [\d.]+ GiB of 8\.00 GiB$/);
    expect(planReasonText(plan)).toBe('');
  });

  it('turns checkpointing on first, then halves the micro-batch, keeping the effective batch', () => {
    const asSet = bytesOf({ batchSize: 8, gradAccum: 1, checkpointing: false });
    const ckpt8 = bytesOf({ batchSize: 8, gradAccum: 1, checkpointing: true });
    const ckpt4 = bytesOf({ batchSize: 4, gradAccum: 2, checkpointing: true });
    const ckpt2 = bytesOf({ batchSize: 2, gradAccum: 4, checkpointing: true });
    expect(ckpt8).toBeLessThan(asSet);
    expect(ckpt2).toBeLessThan(ckpt4);

    const one = planMemory(input({ budgetBytes: Math.floor((asSet + ckpt8) / 2) }));
    expect(one).toMatchObject({ fits: true, changed: true, settings: { batchSize: 8, gradAccum: 1, checkpointing: true } });
    expect(planReasonText(one)).toMatch(
      /^Chosen because as set \(micro-batch 8 × accumulation 1, checkpointing off\) the run needs about [\d.]+ GiB, more than the [\d.]+ GiB available\.$/,
    );

    // Between the plans of micro-batch 2 and 4: micro-batch 2 × 4 is the first that fits.
    const two = planMemory(input({ budgetBytes: Math.floor((ckpt4 + ckpt2) / 2) }));
    expect(two).toMatchObject({ fits: true, settings: { batchSize: 2, gradAccum: 4, checkpointing: true } });
    expect(two.estimate.totalBytes).toBe(ckpt2);
    expect(two.estimate.totalBytes).toBeLessThanOrEqual(two.budget!.bytes);
  });

  it('plans for a share of the memory the device reports, or says it has none to plan for', () => {
    const device = planMemory(input({ deviceMemoryBytes: 4 * 2 ** 30 }));
    expect(device.budget).toEqual({ bytes: 3 * 2 ** 30, source: 'device', deviceBytes: 4 * 2 ** 30 });
    expect(planText(device)).toMatch(/ of 3\.00 GiB \(75% of the GPU's 4\.00 GiB\)$/);
    // A budget the user set wins over the device's share.
    expect(planMemory(input({ deviceMemoryBytes: 4 * 2 ** 30, budgetBytes: 2 ** 30 })).budget).toEqual({ bytes: 2 ** 30, source: 'set' });
    const none = planMemory(input());
    expect(none.budget).toBeNull();
    expect(planText(none)).toContain('the device reports no memory size: planned against its buffer limits only');
  });

  it('a resumed run keeps its own plan, or is refused when that no longer fits', () => {
    const fixed = { batchSize: 2, gradAccum: 4, checkpointing: true };
    const kept = planMemory(input({ fixed, budgetBytes: 8 * 2 ** 30 }));
    expect(kept).toMatchObject({ fits: true, changed: true, settings: fixed });
    expect(planReasonText(kept)).toBe('Chosen because a resumed run keeps the plan it started with (its data position counts micro-batches).');
    const tight = planMemory(input({ fixed, budgetBytes: bytesOf(fixed) - 1 }));
    expect(tight.fits).toBe(false);
    expect(tight.settings).toEqual(fixed);
  });

  it('refuses what no plan fits, naming the nearest changes that would, each of which fits', () => {
    const config = { dropout: 0.1, seqLen: 2048 };
    const stored = F32_BASE;
    const smallest = bytesOf({ batchSize: 1, gradAccum: 8, checkpointing: true }, config);
    const budgetBytes = Math.floor(smallest * 0.9);
    const plan = planMemory(input({ stored, budgetBytes }, config));
    expect(plan.fits).toBe(false);
    expect(plan.settings).toEqual({ batchSize: 1, gradAccum: 8, checkpointing: true });
    const changes = plan.advice.map((a) => a.change);
    expect(changes).toContainEqual({ kind: 'set', setting: 'quant', to: 'nf4' });
    expect(changes).toContainEqual({ kind: 'budget', bytes: plan.estimate.totalBytes });
    for (const a of plan.advice) {
      expect(a.totalBytes).toBeLessThanOrEqual(a.change.kind === 'budget' ? a.change.bytes : budgetBytes);
      if (a.change.kind !== 'set') continue;
      const changed = planMemory(input({ stored, budgetBytes }, { ...config, [a.change.setting]: a.change.to }));
      expect(changed.fits, JSON.stringify(a.change)).toBe(true);
      expect(changed.estimate.totalBytes).toBe(a.totalBytes);
    }
    expect(noPlanText(plan, KEY_WORDS)).toMatch(
      /^no plan fits: even micro-batch 1 × accumulation 8, checkpointing on needs [\d.]+ MiB \(the run needs about [\d.]+ MiB, more than the [\d.]+ MiB available\)\. Would fit: quant = "nf4": about [\d.]+ MiB; .*budgetBytes ≥ \d+ MiB: about [\d.]+ MiB\.$/,
    );
  });

  it('says when the budget is below the weights alone', () => {
    const plan = planMemory(input({ budgetBytes: 100 * 2 ** 20 }));
    expect(plan.fits).toBe(false);
    expect(plan.problems[0]).toMatch(/^the base's weights alone need 2\d\d\.\d MiB, more than the 100\.0 MiB budget$/);
    // SmolLM2-135M in BF16 is 256 MiB of weights: only NF4 brings it near 100 MiB, and not under it.
    expect(plan.advice.every((a) => a.change.kind === 'budget')).toBe(true);
  });

  it("refuses a buffer beyond the device's limit that no micro-batch changes, without a budget to raise", () => {
    const plan = planMemory(input({ limits: { maxBufferSize: 64 * 2 ** 20, maxStorageBufferBindingSize: 2 ** 31 }, stored: F32_BASE }));
    expect(plan.fits).toBe(false);
    expect(plan.problems[0]).toMatch(/buffer 'token_embd' needs 108\.0 MiB, more than this adapter's maxBufferSize 64\.0 MiB/);
    expect(plan.advice.some((a) => a.change.kind === 'budget')).toBe(false);
  });
});
