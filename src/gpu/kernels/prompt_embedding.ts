/**
 * Prompt tuning's virtual-token embeddings (src/shaders/prompt_embedding_forward.wgsl). Forward: the rows of x whose
 * position is below P take the prompt's row at that position. Backward: dPrompt[p] += Σ dX[t] over the rows with
 * position p < P, which is the embedding's scatter-add with the positions as ids (a position ≥ P has no row).
 *
 * Shapes: positions [T] u32, prompt / dPrompt [P, C] f32, x / dX [T, C] f32.
 */
import promptEmbeddingForwardWgsl from '../../shaders/prompt_embedding_forward.wgsl?raw';
import linearGridWgsl from '../../shaders/linear_grid.wgsl?raw';
import { GpuError, type GpuContext } from '../context';
import { linearGrid } from '../grid';
import type { Tensor } from '../tensor';
import { Params } from '../uniforms';
import { embeddingBackward } from './embedding';
import { spliceWgsl } from './splice';

const FORWARD_WGSL = spliceWgsl(promptEmbeddingForwardWgsl, linearGridWgsl);
const WORKGROUP_SIZE = 256;

function checkShapes(kernel: string, positions: Tensor, prompt: Tensor, x: Tensor): { tokens: number; channels: number; virtualTokens: number } {
  if (positions.dtype !== 'u32' || positions.shape.length !== 1) throw new GpuError(`${kernel}: positions ${positions} must be [T] u32`);
  if (prompt.dtype !== 'f32' || prompt.shape.length !== 2) throw new GpuError(`${kernel}: prompt ${prompt} must be [P, C] f32`);
  const [tokens] = positions.shape;
  const [virtualTokens, channels] = prompt.shape;
  if (x.dtype !== 'f32' || x.shape.length !== 2 || x.shape[0] !== tokens || x.shape[1] !== channels) {
    throw new GpuError(`${kernel}: x ${x} must be [${tokens}×${channels}:f32]`);
  }
  if (x.buffer === prompt.buffer) throw new GpuError(`${kernel}: x and the prompt share a buffer`);
  return { tokens, channels, virtualTokens };
}

/** x[t] = prompt[positions[t]] where positions[t] < P. */
export function promptEmbeddingForward(ctx: GpuContext, positions: Tensor, prompt: Tensor, x: Tensor): void {
  const { tokens, channels, virtualTokens } = checkShapes('prompt_embedding_forward', positions, prompt, x);
  const kernel = ctx.kernel({ name: 'prompt_embedding_forward', code: FORWARD_WGSL, constants: { WORKGROUP_SIZE } });
  const params = new Params().u32(tokens).u32(channels).u32(virtualTokens);
  ctx.dispatch(kernel, params, [positions, prompt, x], linearGrid(tokens * channels, WORKGROUP_SIZE));
}

/** dPrompt[p] += Σ_{t: positions[t] = p} dX[t], for p < P (accumulated over micro-batches). */
export function promptEmbeddingBackward(ctx: GpuContext, positions: Tensor, dX: Tensor, dPrompt: Tensor): void {
  checkShapes('prompt_embedding_backward', positions, dPrompt, dX);
  embeddingBackward(ctx, positions, dX, dPrompt, { accumulate: true });
}
