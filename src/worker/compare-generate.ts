/**
 * One prompt through every column of a comparison: the loaded base alone, then the base with each adapter attached
 * in turn, each with the same settings (so the same seed and sampling). Columns run one after another on the one
 * device; the caller holds the worker's GPU lock for the whole run so no Playground generation interleaves.
 */
import { releaseLoraAdapter, uploadAnyAdapter } from '../adapters/gpu-adapter';
import { type AnyAdapter } from '../adapters/any-adapter';
import type { GpuContext } from '../gpu/context';
import type { ColumnOutcome } from './compare-protocol';
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
  const columns: ColumnOutcome[] = [];
  for (let column = 0; column < request.columns.length; column++) {
    if (signal.aborted) {
      columns.push({ status: 'skipped' });
      post({ kind: 'compare-column-done', requestId: request.id, column, result: { status: 'skipped' } });
      continue;
    }
    const adapter = adapters[column];
    let result: ColumnOutcome;
    let uploaded = null;
    try {
      if (adapter) {
        uploaded = uploadAnyAdapter(ctx, adapter, session.files.config);
        session.setAdapter(uploaded);
        // The adapter's fused products, created at once before its first token.
        await session.inference.preparePipelines();
      }
      const outcome = await session.generate(request.settings, signal, (progress) =>
        post({ kind: 'compare-token', requestId: request.id, column, progress }),
      );
      result = { status: 'done', outcome };
    } catch (error) {
      result = { status: 'failed', problem: problemOf(error) };
    } finally {
      // Detach before releasing: the model must never point at freed buffers.
      session.setAdapter(null);
      if (uploaded) releaseLoraAdapter(ctx, uploaded);
    }
    columns.push(result);
    post({ kind: 'compare-column-done', requestId: request.id, column, result });
  }
  return { columns, stopped: signal.aborted };
}
