/**
 * Token embedding. Forward gathers rows of the table; backward scatter-adds the upstream gradient into the
 * table's gradient, deterministically (see embedding_backward.wgsl).
 *
 * Shapes: ids [T] u32, table / dTable [V, C] f32, out / dOut [T, C] f32.
 * Ids are not visible to the launcher; an id >= V gives a zero row in `out` and contributes nothing to dTable.
 *
 * The forward also reads a frozen table kept in its file's format (F16, BF16, Q8_0, … as a QuantizedWeight from
 * matmul_quant.ts), decoding each row as it gathers, so no f32 copy of a vocabulary-sized matrix is ever made.
 */
import embeddingBackwardWgsl from '../../shaders/embedding_backward.wgsl?raw';
import embeddingForwardWgsl from '../../shaders/embedding_forward.wgsl?raw';
import embeddingForwardQuantWgsl from '../../shaders/embedding_forward_quant.wgsl?raw';
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { ceilDiv, linearGrid } from '../grid';
import type { DType, Tensor } from '../tensor';
import { Params } from '../uniforms';
import { isQuantizedWeight, type QuantizedWeight, weightDecoderWgsl } from './matmul_quant';
import { spliceWgsl } from './splice';

const FORWARD_WGSL = spliceWgsl(embeddingForwardWgsl, linearGridWgsl);

const WORKGROUP_SIZE = 256;
/** Parallelism of the backward scatter beyond one thread per column; the result does not depend on it. */
const ROW_BUCKETS = 16;

function expect(kernel: string, role: string, t: Tensor, shape: readonly number[], dtype: DType): void {
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GpuError(`${kernel}: ${role} is ${t}, expected [${shape.join('×')}:${dtype}]`);
  }
}

function checkShapes(kernel: string, ids: Tensor, table: Tensor, rows: Tensor, tableRole: string, rowsRole: string) {
  if (table.shape.length !== 2) throw new GpuError(`${kernel}: ${tableRole} ${table} must be [V, C]`);
  const [vocab, channels] = table.shape;
  if (ids.shape.length !== 1) throw new GpuError(`${kernel}: ids ${ids} must be [T]`);
  const tokens = ids.shape[0];
  expect(kernel, 'ids', ids, [tokens], 'u32');
  expect(kernel, tableRole, table, [vocab, channels], 'f32');
  expect(kernel, rowsRole, rows, [tokens, channels], 'f32');
  if (rows.buffer === table.buffer) throw new GpuError(`${kernel}: ${rowsRole} and ${tableRole} share a buffer`);
  return { tokens, channels, vocab };
}

/** out[t] = table[ids[t]]. ids [T] u32, table [V, C] (f32, or stored in its format), out [T, C]. */
export function embeddingForward(ctx: GpuContext, ids: Tensor, table: Tensor | QuantizedWeight, out: Tensor): void {
  if (isQuantizedWeight(table)) return embeddingForwardQuant(ctx, ids, table, out);
  const { tokens, channels, vocab } = checkShapes('embedding_forward', ids, table, out, 'table', 'out');
  const kernel = ctx.kernel({ name: 'embedding_forward', code: FORWARD_WGSL, constants: { WORKGROUP_SIZE } });
  const params = new Params().u32(tokens).u32(channels).u32(vocab);
  ctx.dispatch(kernel, params, [ids, table, out], linearGrid(tokens * channels, WORKGROUP_SIZE));
}

function embeddingForwardQuant(ctx: GpuContext, ids: Tensor, table: QuantizedWeight, out: Tensor): void {
  const name = `embedding_forward_${table.format}`;
  const [vocab, channels] = table.shape;
  if (ids.shape.length !== 1) throw new GpuError(`${name}: ids ${ids} must be [T]`);
  const tokens = ids.shape[0];
  expect(name, 'ids', ids, [tokens], 'u32');
  expect(name, 'out', out, [tokens, channels], 'f32');
  if (tokens === 0) return;
  const kernel = ctx.kernel({
    name,
    code: spliceWgsl(embeddingForwardQuantWgsl, weightDecoderWgsl(table.format), linearGridWgsl),
    constants: { WORKGROUP_SIZE },
  });
  for (const part of table.parts) {
    const params = new Params().u32(tokens).u32(channels).u32(vocab).u32(part.rowStart).u32(part.rows);
    ctx.dispatch(kernel, params, [ids, part.q, part.s, out], linearGrid(tokens * (channels / 8), WORKGROUP_SIZE));
  }
}

export interface EmbeddingBackwardOptions {
  /** Add into dTable's current contents instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
}

/** dTable[ids[t]] += dOut[t] over all t. ids [T] u32, dOut [T, C], dTable [V, C]. */
export function embeddingBackward(
  ctx: GpuContext,
  ids: Tensor,
  dOut: Tensor,
  dTable: Tensor,
  { accumulate = false }: EmbeddingBackwardOptions = {},
): void {
  const { tokens, channels, vocab } = checkShapes('embedding_backward', ids, dTable, dOut, 'dTable', 'dOut');
  if (!accumulate) ctx.zero(dTable);
  const kernel = ctx.kernel({
    name: 'embedding_backward',
    code: embeddingBackwardWgsl,
    constants: { WORKGROUP_SIZE, ROW_BUCKETS },
  });
  const params = new Params().u32(tokens).u32(channels).u32(vocab);
  ctx.dispatch(kernel, params, [ids, dOut, dTable], [ceilDiv(channels, WORKGROUP_SIZE), ROW_BUCKETS]);
}
