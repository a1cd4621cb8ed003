/**
 * One prompt through every column of a comparison, each with the same settings (so the same seed and sampling):
 * the base and the LoRA adapters in one batched generation (adapters in slots beside the one base, every column
 * streaming at once), then each adapter that cannot share the batch (DoRA, IA³, prompt tuning) attached to the
 * session's model in a pass of its own. The caller holds the worker's GPU lock for the whole run so no Playground
 * generation interleaves.
 */
import { releaseLoraAdapter, uploadAnyAdapter } from '../adapters/gpu-adapter';
import { type AnyAdapter, batchable, ownPassReason } from '../adapters/any-adapter';
import type { LoraAdapter } from '../adapters/lora-weights';
import type { GpuContext } from '../gpu/context';
import type { ColumnOutcome, ColumnPass } from './compare-protocol';
import type { ModelSession } from './model-session';
import { problemOf } from './problems';
import type { EngineEvent, RequestMessage } from './protocol';

export async function generateColumns(
  ctx: GpuContext,
  session: ModelSession,
  adapters: readonly (AnyAdapter | null)[],
  request: RequestMessage<'compare-generate'>,
  signal: AbortSignal,
  post: (event: EngineEvent) => void,
): Promise<{ columns: ColumnOutcome[]; stopped: boolean }> {
  const columns = new Array<ColumnOutcome>(request.columns.length);
  const finish = (column: number, result: ColumnOutcome) => {
    columns[column] = result;
    post({ kind: 'compare-column-done', requestId: request.id, column, result });
  };
  const inBatch = adapters.flatMap((a, i) => (a === null || batchable(a) ? [i] : []));
  if (inBatch.length > 0) {
    const pass: ColumnPass = { kind: 'batched', columns: inBatch.length, slotBytes: 0 };
    try {
      const outcomes = await session.generateBatch(
        request.settings,
        inBatch.map((i) => adapters[i] as LoraAdapter | null),
        signal,
        (j, progress) => post({ kind: 'compare-token', requestId: request.id, column: inBatch[j], progress, pass }),
        (bytes) => (pass.slotBytes = bytes),
      );
      outcomes.forEach((outcome, j) => finish(inBatch[j], { status: 'done', outcome, pass }));
    } catch (error) {
      for (const i of inBatch) finish(i, { status: 'failed', problem: problemOf(error) });
    }
  }
  for (const [column, adapter] of adapters.entries()) {
    if (columns[column]) continue;
    if (signal.aborted) {
      finish(column, { status: 'skipped' });
      continue;
    }
    const pass: ColumnPass = { kind: 'own', reason: ownPassReason(adapter!) };
    let uploaded = null;
    try {
      uploaded = uploadAnyAdapter(ctx, adapter!, session.files.config);
      session.setAdapter(uploaded);
      // The adapter's fused products, created at once before its first token.
      await session.inference.preparePipelines();
      const outcome = await session.generate(request.settings, signal, (progress) =>
        post({ kind: 'compare-token', requestId: request.id, column, progress, pass }),
      );
      finish(column, { status: 'done', outcome, pass });
    } catch (error) {
      finish(column, { status: 'failed', problem: problemOf(error) });
    } finally {
      // Detach before releasing: the model must never point at freed buffers.
      session.setAdapter(null);
      if (uploaded) releaseLoraAdapter(ctx, uploaded);
    }
  }
  return { columns, stopped: signal.aborted };
}
