/**
 * Batched vs sequential multi-adapter decoding (part of bench:inference): the base and 1, 2, 4 or 8 LoRA adapters
 * (rank 8, every projection) continue one prompt either one after another (a single-sequence model, the adapter
 * swapped between runs: what Compare did before) or together in one batch (LlamaModel with `sequences`, the
 * adapters in AdapterSlots). Both ways prefill the prompt and then decode greedily, each step reading back its
 * logits; a run of the sequential way is all its columns' runs. The two ways take turns run after run, and the
 * figures are medians: total decode tokens/s (every column's tokens over the decode time) and per column.
 */
import { randomAdapter } from '../src/adapters/test-adapter';
import { adapterBatch, releaseLoraAdapter, uploadLoraAdapter } from '../src/adapters/gpu-adapter';
import { GpuContext } from '../src/gpu/context';
import { LlamaModel } from '../src/gpu/model/llama';
import { releaseModel, uploadModel } from '../src/gpu/model/upload';
import { argmax } from '../src/generate/sampler';
import type { ModelWeights } from '../src/model/tensor-map';
import { median } from './timing';

export interface MultiAdapterLengths {
  promptTokens: number;
  decodeTokens: number;
  runs: number;
}

export interface MultiAdapterResult {
  name: string;
  adapters: number;
  /** Columns: the base and the adapters. */
  columns: number;
  promptTokens: number;
  decodeTokens: number;
  runs: number;
  /** Every column's decoded tokens over the decode time: sequential (all its runs) and batched. */
  sequentialTokensPerSecond: number;
  batchedTokensPerSecond: number;
  /** batched / sequential total tokens/s. */
  speedup: number;
  /** One column's tokens over the time it took: its own run, or the batch's. */
  sequentialColumnTokensPerSecond: number;
  batchedColumnTokensPerSecond: number;
  /** GPU bytes of the slots holding the adapters. */
  slotBytes: number;
  sequentialDecodeMs: number[];
  batchedDecodeMs: number[];
}

export const ADAPTER_COUNTS = [1, 2, 4, 8];
const RANK = 8;

/** Greedy decoding of `prompt` for every sequence of `model`; returns the decode time (after the prefill). */
async function decode(model: LlamaModel, prompt: number[], steps: number): Promise<number> {
  let logits = await model.forwardBatch(new Array(model.sequences).fill(prompt), 0);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) logits = await model.forwardBatch(logits.map((l) => [argmax(l)]), prompt.length + i);
  return performance.now() - t0;
}

export async function runMultiAdapter(
  shared: GpuContext,
  name: string,
  weights: ModelWeights,
  prompt: number[],
  lengths: MultiAdapterLengths,
  progress: (line: string) => void,
): Promise<MultiAdapterResult[]> {
  const ctx = new GpuContext(shared.device, shared.report);
  const up = await uploadModel(ctx, weights);
  const maxContext = lengths.promptTokens + lengths.decodeTokens;
  const adapters = Array.from({ length: Math.max(...ADAPTER_COUNTS) }, (_, i) =>
    randomAdapter(weights.config, { seed: 100 + i, r: RANK, alpha: 2 * RANK, bScale: 0.05 }),
  );
  const results: MultiAdapterResult[] = [];
  try {
    const single = new LlamaModel(ctx, up.config, up.weights, { invFreq: up.invFreq, maxContext });
    const uploaded = adapters.map((a) => uploadLoraAdapter(ctx, a, up.config.ropeLayout));
    try {
      for (const count of ADAPTER_COUNTS) {
        const columns = count + 1;
        const { model: batch, slots, dispose } = adapterBatch(ctx, up, [null, ...adapters.slice(0, count)], { maxContext });
        const sequentialRun = async (steps: number) => {
          let ms = 0;
          for (let c = 0; c < columns; c++) {
            single.setAdapter(c === 0 ? null : uploaded[c - 1].inference);
            ms += await decode(single, prompt, steps);
          }
          return ms;
        };
        try {
          // Warm-up: every pipeline of both ways compiled before timing.
          await sequentialRun(1);
          await decode(batch, prompt, 1);
          const sequentialMs: number[] = [];
          const batchedMs: number[] = [];
          for (let r = 0; r < lengths.runs; r++) {
            sequentialMs.push(await sequentialRun(lengths.decodeTokens));
            batchedMs.push(await decode(batch, prompt, lengths.decodeTokens));
            progress(`${name} base + ${count}: run ${r + 1}: sequential ${sequentialMs[r].toFixed(0)} ms, batched ${batchedMs[r].toFixed(0)} ms`);
          }
          const tokens = columns * lengths.decodeTokens;
          const sequential = tokens / (median(sequentialMs) / 1000);
          const batched = tokens / (median(batchedMs) / 1000);
          results.push({
            name,
            adapters: count,
            columns,
            ...lengths,
            sequentialTokensPerSecond: sequential,
            batchedTokensPerSecond: batched,
            speedup: batched / sequential,
            sequentialColumnTokensPerSecond: sequential,
            batchedColumnTokensPerSecond: batched / columns,
            slotBytes: slots.bytes,
            sequentialDecodeMs: sequentialMs,
            batchedDecodeMs: batchedMs,
          });
        } finally {
          dispose();
        }
      }
    } finally {
      single.setAdapter(null);
      single.dispose();
      for (const u of uploaded) releaseLoraAdapter(ctx, u);
    }
  } finally {
    releaseModel(ctx, up);
    ctx.arena.trim();
  }
  return results;
}

const rate = (perSecond: number) => (perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toPrecision(3));

export function multiAdapterTable(results: readonly MultiAdapterResult[]): string {
  const header = ['model', 'columns', 'decode', 'runs', 'sequential tok/s', 'batched tok/s', 'speedup', 'per column: sequential', 'batched', 'slot bytes'];
  const rows = results.map((r) => [
    r.name,
    `base + ${r.adapters}`,
    String(r.decodeTokens),
    String(r.runs),
    rate(r.sequentialTokensPerSecond),
    rate(r.batchedTokensPerSecond),
    `${r.speedup.toFixed(2)}×`,
    rate(r.sequentialColumnTokensPerSecond),
    rate(r.batchedColumnTokensPerSecond),
    `${(r.slotBytes / 2 ** 20).toFixed(2)} MiB`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
