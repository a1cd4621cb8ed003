/**
 * Matrix products of a linear layer whose weight W [N, K] (nn.Linear layout) stays quantized on the GPU and
 * is dequantized inside the kernels, tile by tile (never into a full-precision copy):
 *   forward:         Y [M,N]  = scale·(X [M,K] · W[rows]ᵀ) + bias[rows] + residual [M,N]   (+ Y when accumulate)
 *   backward input:  dX [M,K] = scale·(dY [M,N] · W[rows])                                  (+ dX when accumulate)
 * Same options and semantics as matmul.ts (`wRows` picks N consecutive rows of W, for a vocabulary-chunked
 * LM head). There is no weight gradient: a quantized base is frozen, adapters train beside it.
 *
 * Formats: q8_0, q4_0, q4_k, q6_k (GGML blocks, as read from GGUF), nf4 (QLoRA, see model/quant/nf4.ts), and
 * f16 / bf16 (16-bit floats packed two to a word, widened in the kernel: no optional shader feature).
 * The GPU layout and its bytes per weight are in model/quant/gpu-layout.ts. A weight larger than one storage
 * binding may hold is stored as several parts of consecutive rows; the launchers dispatch once per part.
 */
import matmulBackwardInputQuantWgsl from '../../shaders/matmul_backward_input_quant.wgsl?raw';
import matmulForwardQuantWgsl from '../../shaders/matmul_forward_quant.wgsl?raw';
import lowRankWgsl from '../../shaders/matmul_low_rank.wgsl?raw';
import registerBlockWgsl from '../../shaders/matmul_register_block.wgsl?raw';
import weightsBf16Wgsl from '../../shaders/matmul_weights_bf16.wgsl?raw';
import weightsF16Wgsl from '../../shaders/matmul_weights_f16.wgsl?raw';
import weightsF32Wgsl from '../../shaders/matmul_weights_f32.wgsl?raw';
import weightsNf4Wgsl from '../../shaders/matmul_weights_nf4.wgsl?raw';
import weightsQ4_0Wgsl from '../../shaders/matmul_weights_q4_0.wgsl?raw';
import weightsQ4_KWgsl from '../../shaders/matmul_weights_q4_k.wgsl?raw';
import weightsQ6_KWgsl from '../../shaders/matmul_weights_q6_k.wgsl?raw';
import weightsQ8_0Wgsl from '../../shaders/matmul_weights_q8_0.wgsl?raw';
import dotF32Wgsl from '../../shaders/matvec_dot_f32.wgsl?raw';
import dotLoad8Wgsl from '../../shaders/matvec_dot_load8.wgsl?raw';
import dotQ4_0Wgsl from '../../shaders/matvec_dot_q4_0.wgsl?raw';
import dotQ8_0Wgsl from '../../shaders/matvec_dot_q8_0.wgsl?raw';
import { QUANT_FORMATS, isQuantFormat, type QuantFormat } from '../../model/quant/formats';
import { GPU_BLOCK_SPLIT, packGpuBlocks, scaleWords } from '../../model/quant/gpu-layout';
import { GpuError, type GpuContext } from '../context';
import type { Kernel } from '../registry';
import { isSoftwareAdapter } from '../device';
import { ceilDiv, linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import type { LowRankTerm, MatmulBackwardInputOptions, MatmulForwardOptions, RowSlice } from './matmul';
import { spliceWgsl } from './splice';

/** Outputs per workgroup along each side of the tiled kernels (the shaders' 8×8 threads × 8×8 outputs). */
const TILE = 64;
/** Depth of one step of the tiled kernels: 2 tiles × TILE × 32 × 4 bytes = 16 KiB of workgroup memory. */
const TILE_DEPTH = 32;
/**
 * Forward with at most this many rows of X uses the matrix-vector kernel (a batch of decoded tokens: the base and
 * eight adapters' sequences are 9), in dispatches of up to MATVEC_BLOCK_ROWS rows, the sums a thread keeps.
 */
export const MATVEC_MAX_M = 16;
const MATVEC_BLOCK_ROWS = 8;

/**
 * How the matrix-vector (decode) kernels lay their threads: per output column (a row of W) and per workgroup; and
 * whether a single row of X (one decoded token) takes `matvec1`, with W rows per thread.
 */
export interface MatvecShape {
  threadsPerRow: number;
  rowsPerGroup: number;
  /** W rows per thread of matvec1; 0: M = 1 takes `matvec` like any M ≤ MATVEC_MAX_M. */
  rowsPerThread: number;
  /** W rows per thread of matvec (more than 1 needs threadsPerRow = 1). */
  columnsPerThread: 1 | 2 | 4;
}

/**
 * On a GPU, 32 threads read a row of W side by side (coalesced) and sum in workgroup memory (5 barriers), for any
 * M ≤ 8; not yet measured on one. On a CPU implementation (SwiftShader), one thread per row and no barrier: it
 * runs a workgroup's threads as SIMD lanes and splits the shader at every barrier; measured (bench:inference,
 * stories260K decode) Q8_0 4.3 → 79.8 tok/s, F32 4.4 (32 × 8) → 94.5 tok/s, where 4 × 16 gave 48.8 and 8 × 8
 * 30.8. There a one-token product spent about 40% of its time loading x (measured by leaving the loads out), so
 * matvec1 gives each thread 4 rows to share them: 10 layers of SmolLM2-135M's products took 78 ms against 124 at
 * 1 row per thread, 96 at 2 (F32, medians of 31 runs); 32 threads per workgroup keep a 192-row product on 2 groups.
 */
export function matvecShapeFor(ctx: GpuContext): MatvecShape {
  return isSoftwareAdapter(ctx.report)
    ? { threadsPerRow: 1, rowsPerGroup: 32, rowsPerThread: 4, columnsPerThread: 4 }
    : { threadsPerRow: 32, rowsPerGroup: 8, rowsPerThread: 0, columnsPerThread: 1 };
}

const WEIGHTS_WGSL: Record<QuantFormat, string> = {
  q8_0: weightsQ8_0Wgsl,
  q4_0: weightsQ4_0Wgsl,
  q4_k: weightsQ4_KWgsl,
  q6_k: weightsQ6_KWgsl,
  nf4: weightsNf4Wgsl,
  f16: weightsF16Wgsl,
  bf16: weightsBf16Wgsl,
};

/**
 * The decode kernel's dot product over a span of a row (matvec_dot_<format>.wgsl): Q8_0 and Q4_0 take whole blocks
 * and scale each block's sum once; the other formats go eight values at a time through their w_load8.
 */
const MATVEC_DOT_WGSL: Record<QuantFormat, string> = {
  q8_0: dotQ8_0Wgsl,
  q4_0: dotQ4_0Wgsl,
  q4_k: dotLoad8Wgsl,
  q6_k: dotLoad8Wgsl,
  nf4: dotLoad8Wgsl,
  f16: dotLoad8Wgsl,
  bf16: dotLoad8Wgsl,
};

/** A quantized product's WGSL: its kernel, the format's weight decoder, and the register block with its LoRA term. */
function quantWgsl(kernel: string, format: QuantFormat): string {
  return spliceWgsl(kernel, WEIGHTS_WGSL[format], registerBlockWgsl, lowRankWgsl);
}

/** The forward kernel's WGSL for a format: quantWgsl's pieces and the decode path's span dot. */
function forwardWgsl(format: QuantFormat): string {
  return spliceWgsl(quantWgsl(matmulForwardQuantWgsl, format), MATVEC_DOT_WGSL[format]);
}

/** The format's weight decoder (bindings 2 and 3, `w_load8`), for other kernels that read a stored weight. */
export function weightDecoderWgsl(format: QuantFormat): string {
  return WEIGHTS_WGSL[format];
}

/** Rows [rowStart, rowStart + rows) of a quantized weight, in the GPU layout (u32 quants and scales). */
export interface QuantizedPart {
  readonly rowStart: number;
  readonly rows: number;
  readonly q: Tensor;
  readonly s: Tensor;
}

/** A frozen weight [N, K] kept quantized on the GPU. */
export interface QuantizedWeight {
  readonly format: QuantFormat;
  readonly shape: readonly [number, number];
  readonly label: string;
  readonly parts: readonly QuantizedPart[];
  /** GPU bytes held (quants and scales of every part). */
  readonly byteSize: number;
}

export interface QuantizedUpload {
  format: QuantFormat;
  /** [N, K]: N rows (output features) of K values (input features); K a multiple of the block size. */
  shape: readonly [number, number];
  /** Host blocks, row-major: row r is blocks [r·K/blockSize, (r+1)·K/blockSize) (GGUF's order). */
  bytes: Uint8Array;
  label?: string;
  /** Largest part, in bytes of quants; defaults to the adapter's maxStorageBufferBindingSize. */
  maxPartBytes?: number;
}

/** Keeps a quantized weight quantized on the GPU, regrouped into the kernels' layout. */
export function uploadQuantized(ctx: GpuContext, upload: QuantizedUpload): QuantizedWeight {
  const { format, shape, bytes, label = 'weight' } = upload;
  const what = `uploadQuantized: weight '${label}'`;
  if (!isQuantFormat(format)) throw new GpuError(`${what}: unknown format '${String(format)}'`);
  const { blockSize, blockBytes } = QUANT_FORMATS[format];
  const [n, k] = shape;
  if (shape.length !== 2 || !(Number.isInteger(n) && n > 0 && Number.isInteger(k) && k > 0)) {
    throw new GpuError(`${what}: shape [${shape.join(', ')}] must be [N, K] with N, K > 0`);
  }
  if (k % blockSize !== 0) {
    throw new GpuError(`${what}: K=${k} is not a multiple of the ${format} block size ${blockSize}`);
  }
  const blocksPerRow = k / blockSize;
  if (bytes.byteLength !== n * blocksPerRow * blockBytes) {
    throw new GpuError(
      `${what}: [${n}, ${k}] in ${format} is ${n * blocksPerRow * blockBytes} bytes, got ${bytes.byteLength}`,
    );
  }
  const rowBytes = blocksPerRow * GPU_BLOCK_SPLIT[format].qWords * 4;
  const maxPartBytes = Math.min(upload.maxPartBytes ?? Infinity, ctx.maxBindingBytes);
  const rowsPerPart = Math.floor(maxPartBytes / rowBytes);
  if (rowsPerPart < 1) {
    throw new GpuError(`${what}: one row takes ${rowBytes} bytes, more than a binding may hold (${maxPartBytes})`);
  }
  const parts: QuantizedPart[] = [];
  for (let rowStart = 0; rowStart < n; rowStart += rowsPerPart) {
    const rows = Math.min(rowsPerPart, n - rowStart);
    const packed = packGpuBlocks(format, bytes, rowStart * blocksPerRow, rows * blocksPerRow);
    const tag = parts.length ? `${label}#${parts.length}` : label;
    const q = ctx.tensor([packed.q.length], 'u32', `${tag}.q`, packed.q);
    const s = ctx.tensor([scaleWords(format, rows * blocksPerRow)], 'u32', `${tag}.s`, packed.s);
    parts.push({ rowStart, rows, q, s });
  }
  const byteSize = parts.reduce((sum, p) => sum + p.q.byteSize + p.s.byteSize, 0);
  return { format, shape: [n, k], label, parts, byteSize };
}

/** Whether a frozen weight is stored in a format the kernels decode (rather than a dense f32 tensor). */
export function isQuantizedWeight(w: unknown): w is QuantizedWeight {
  const q = w as QuantizedWeight | null;
  return typeof q === 'object' && q !== null && isQuantFormat(q.format) && Array.isArray(q.parts);
}

/** Returns a quantized weight's buffers to the pool. */
export function releaseQuantized(ctx: GpuContext, w: QuantizedWeight): void {
  for (const part of w.parts) {
    ctx.release(part.q);
    ctx.release(part.s);
  }
}

function expectF32(kernel: string, role: string, t: Tensor, shape: readonly number[]): void {
  if (t.dtype !== 'f32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new GpuError(`${kernel}: ${role} is ${t}, expected [${shape.join('×')}:f32]`);
  }
}

/** The selected rows [offset, offset + count) of W, after checking them against W's shape. */
function selectRows(kernel: string, w: QuantizedWeight, k: number, wRows: RowSlice | undefined): RowSlice {
  if (!isQuantFormat(w.format) || !w.parts?.length) {
    throw new GpuError(`${kernel}: weight '${w.label}' is not a QuantizedWeight (use uploadQuantized)`);
  }
  if (w.shape[1] !== k) {
    throw new GpuError(`${kernel}: weight '${w.label}' [${w.shape.join('×')}] has K=${w.shape[1]}, expected ${k}`);
  }
  const offset = wRows?.offset ?? 0;
  const count = wRows?.count ?? w.shape[0];
  if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 0 || offset + count > w.shape[0]) {
    const range = `[${offset}, ${offset + count})`;
    throw new GpuError(`${kernel}: rows ${range} are outside weight '${w.label}' [${w.shape[0]} rows]`);
  }
  return { offset, count };
}

/** The parts of W that hold selected rows: for each, the first selected row within the part and how many. */
function* partSlices(w: QuantizedWeight, rows: RowSlice) {
  for (const part of w.parts) {
    const lo = Math.max(rows.offset, part.rowStart);
    const hi = Math.min(rows.offset + rows.count, part.rowStart + part.rows);
    if (lo < hi) yield { part, partRow: lo - part.rowStart, column: lo - rows.offset, count: hi - lo, row: lo };
  }
}

function noAlias(kernel: string, written: Tensor, ...read: (Tensor | undefined)[]): void {
  for (const t of read) {
    if (t && t.buffer === written.buffer) throw new GpuError(`${kernel}: ${t} shares a buffer with output ${written}`);
  }
}

/** y = scale·(x·W[rows]ᵀ) + bias[rows] + residual. x [M,K], w [N_total,K] quantized, y [M,N], bias [N_total]. */
export function matmulForwardQuant(
  ctx: GpuContext,
  x: Tensor,
  w: QuantizedWeight,
  y: Tensor,
  options: MatmulForwardOptions = {},
): void {
  const kernelName = `matmul_forward_${w.format}`;
  if (x.shape.length !== 2) throw new GpuError(`${kernelName}: input ${x} must be 2-D [M, K]`);
  const [m, k] = x.shape;
  const rows = selectRows(kernelName, w, k, options.wRows);
  expectF32(kernelName, 'input', x, [m, k]);
  expectF32(kernelName, 'output', y, [m, rows.count]);
  if (options.bias) expectF32(kernelName, 'bias', options.bias, [w.shape[0]]);
  if (options.residual) expectF32(kernelName, 'residual', options.residual, [m, rows.count]);
  const low = options.lowRank;
  noAlias(kernelName, y, x, options.bias, options.residual, low?.u, low?.b);
  if (low) checkLowRank(kernelName, low, [m, low.u.shape[1]], [w.shape[0], low.u.shape[1]], options);
  if (low && options.wRows) throw new GpuError(`${kernelName}: a low-rank term cannot be combined with wRows`);
  if (m === 0) return;
  const code = forwardWgsl(w.format);
  forwardDispatches(ctx, (xRows) => forwardKernel(ctx, kernelName, code, m, options, xRows), x, partSlices(w, rows), y, rows.count, options);
}

/** The matrix-vector kernel over dense f32 weights (matmul_weights_f32.wgsl): the same decode kernel as the stored formats. */
const F32_MATVEC_WGSL = spliceWgsl(matmulForwardQuantWgsl, weightsF32Wgsl, registerBlockWgsl, lowRankWgsl, dotF32Wgsl);

/**
 * matmulForward's decode path: y = scale·(x·W[rows]ᵀ) + bias[rows] + residual (+ y) for M ≤ MATVEC_MAX_M rows of x
 * and a dense f32 W [N_total, K] with K a multiple of 8, by the matrix-vector kernel (matmul.ts checks the shapes
 * and calls it). A low-rank term's B is [N, r], one row per output column.
 */
export function matvecForwardF32(ctx: GpuContext, x: Tensor, w: Tensor, y: Tensor, options: MatmulForwardOptions, rows: RowSlice): void {
  // One part: W itself, bound as the weight and as its (unread) scales.
  const whole: ForwardSlice = { part: { q: w, s: w }, partRow: rows.offset, column: 0, count: rows.count, row: rows.offset };
  forwardDispatches(ctx, (xRows) => forwardKernel(ctx, 'matmul_forward_f32', F32_MATVEC_WGSL, x.shape[0], options, xRows), x, [whole], y, rows.count, options);
}

/** Rows of one part of W for one dispatch: `count` rows from `partRow` in the part, written from y column `column`. */
interface ForwardSlice {
  part: { q: Tensor; s: Tensor };
  partRow: number;
  column: number;
  count: number;
  /** W's row (and bias element) of the first output column. */
  row: number;
}

/** matmul_forward_quant.wgsl's pipeline: the matrix-vector entry point (laid out for the device) or the tiled one. */
/** The forward kernel for M rows of X, in a dispatch of `xRows` of them (a block of the matrix-vector kernel's). */
function forwardKernel(ctx: GpuContext, name: string, code: string, m: number, options: MatmulForwardOptions, xRows = m): Kernel {
  const shape = matvecShapeFor(ctx);
  const matvec = { ROWS_PER_GROUP: shape.rowsPerGroup, THREADS_PER_ROW: shape.threadsPerRow };
  const token = oneToken(shape, m);
  return ctx.kernel({
    name,
    code,
    entryPoint: token ? 'matvec1' : m <= MATVEC_MAX_M ? 'matvec' : 'main',
    constants: {
      ...(token ? { ...matvec, ROWS_PER_THREAD: shape.rowsPerThread } : m <= MATVEC_MAX_M ? { ...matvec, X_ROWS: xRows, W_ROWS: shape.columnsPerThread } : { TK: TILE_DEPTH }),
      HAS_BIAS: options.bias ? 1 : 0,
      HAS_RESIDUAL: options.residual ? 1 : 0,
      ACCUMULATE: options.accumulate ? 1 : 0,
      HAS_LOW_RANK: options.lowRank ? 1 : 0,
    },
  });
}

/** Whether a product of M rows of X takes the one-token kernel matvec1 on this layout. */
function oneToken(shape: MatvecShape, m: number): boolean {
  return m === 1 && shape.rowsPerThread > 0;
}

/**
 * One dispatch of the forward kernel per slice, each filling its columns of y (row length `yStride`); the
 * matrix-vector kernel takes X in blocks of up to MATVEC_BLOCK_ROWS rows, one dispatch each. `kernelFor(rows)`
 * is the kernel for a dispatch of that many rows of X.
 */
function forwardDispatches(
  ctx: GpuContext,
  kernelFor: (xRows: number) => Kernel,
  x: Tensor,
  slices: Iterable<ForwardSlice>,
  y: Tensor,
  yStride: number,
  options: MatmulForwardOptions,
): void {
  const [m, k] = x.shape;
  const low = options.lowRank;
  const shape = matvecShapeFor(ctx);
  // Output columns per workgroup: the tiled kernel's TILE, or the matrix-vector kernels' rows.
  const columnsPerGroup =
    shape.rowsPerGroup * (oneToken(shape, m) ? shape.rowsPerThread : m <= MATVEC_MAX_M ? shape.columnsPerThread : 1);
  const blocks = m <= MATVEC_MAX_M && !oneToken(shape, m) ? Math.ceil(m / MATVEC_BLOCK_ROWS) : 1;
  for (const slice of slices) {
    // Unused optional operands are bound to read-only stand-ins: the shader never reads them.
    const bindings = [
      ...[x, slice.part.q, slice.part.s, options.bias ?? slice.part.q, options.residual ?? x, y],
      ...[low?.u ?? x, low?.b ?? x],
    ];
    const grid = m <= MATVEC_MAX_M ? linearGrid(slice.count, columnsPerGroup) : ([ceilDiv(slice.count, TILE), ceilDiv(m, TILE)] as const);
    for (let b = 0; b < blocks; b++) {
      const firstRow = b * MATVEC_BLOCK_ROWS;
      const xRows = blocks > 1 ? Math.min(MATVEC_BLOCK_ROWS, m - firstRow) : m;
      const params = new Params()
        .u32(m)
        .u32(slice.count)
        .u32(k)
        .u32(slice.partRow)
        .u32(yStride)
        .u32(slice.column)
        .u32(slice.row)
        .f32(options.scale ?? 1)
        .u32(low ? low.u.shape[1] : 0)
        .f32(low?.scale ?? 0)
        .u32(firstRow);
      ctx.dispatch(kernelFor(xRows), params, bindings, grid);
    }
  }
}

/** dx = scale·(dy·W[rows]). dy [M,N], w [N_total,K] quantized, dx [M,K]. */
export function matmulBackwardInputQuant(
  ctx: GpuContext,
  dy: Tensor,
  w: QuantizedWeight,
  dx: Tensor,
  options: MatmulBackwardInputOptions = {},
): void {
  const kernelName = `matmul_backward_input_${w.format}`;
  if (dx.shape.length !== 2) throw new GpuError(`${kernelName}: dx ${dx} must be 2-D [M, K]`);
  const [m, k] = dx.shape;
  const rows = selectRows(kernelName, w, k, options.wRows);
  expectF32(kernelName, 'dy', dy, [m, rows.count]);
  expectF32(kernelName, 'dx', dx, [m, k]);
  noAlias(kernelName, dx, dy);
  const low = options.lowRank;
  if (low) checkLowRank(kernelName, low, [m, low.u.shape[1]], [low.u.shape[1], k], options);
  if (low) noAlias(kernelName, dx, low.u, low.b);
  if (m === 0) return;
  let accumulate = options.accumulate ?? false;
  let lowRank = low ? low.u.shape[1] : 0; // the first part adds the low-rank term, the others do not
  for (const slice of partSlices(w, rows)) {
    const kernel = ctx.kernel({
      name: kernelName,
      code: quantWgsl(matmulBackwardInputQuantWgsl, w.format),
      constants: { TK: TILE_DEPTH, ACCUMULATE: accumulate ? 1 : 0, HAS_LOW_RANK: low ? 1 : 0 },
    });
    const params = new Params()
      .u32(m)
      .u32(slice.count)
      .u32(k)
      .u32(slice.partRow)
      .u32(rows.count)
      .u32(slice.column)
      .f32(options.scale ?? 1)
      .u32(lowRank)
      .f32(low?.scale ?? 0);
    const bindings = [dy, slice.part.q, slice.part.s, dx, low?.u ?? dy, low?.b ?? dy];
    ctx.dispatch(kernel, params, bindings, [ceilDiv(k, TILE), ceilDiv(m, TILE)]);
    accumulate = true; // later parts add their rows' share
    lowRank = 0;
  }
  if (rows.count === 0 && !options.accumulate) ctx.zero(dx);
}

/** Shapes and scale of a fused low-rank term: u [M, r], b as given, base scale 1. */
function checkLowRank(
  kernel: string,
  low: LowRankTerm,
  uShape: [number, number],
  bShape: [number, number],
  options: { scale?: number },
): void {
  if (low.u.shape.length !== 2) throw new GpuError(`${kernel}: low-rank u ${low.u} must be 2-D [M, r]`);
  expectF32(kernel, 'low-rank u', low.u, uShape);
  expectF32(kernel, 'low-rank factor', low.b, bShape);
  if ((options.scale ?? 1) !== 1) throw new GpuError(`${kernel}: a low-rank term needs scale 1, got ${options.scale}`);
}
