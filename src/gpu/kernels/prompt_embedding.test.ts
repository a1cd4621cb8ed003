import { describe, expect, it } from 'vitest';
import { packedSeqStart } from './attention.ref';
import { assertClose, dot, finiteDifference, maxRelativeError } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { promptEmbeddingBackward, promptEmbeddingForward } from './prompt_embedding';
import { promptEmbeddingBackwardRef, promptEmbeddingForwardRef } from './prompt_embedding.ref';

/** Positions of packed sequences of these lengths (each restarts at 0). */
function positionsOf(lengths: readonly number[]): Uint32Array {
  return Uint32Array.from(lengths.flatMap((n) => Array.from({ length: n }, (_, i) => i)));
}

// [sequence lengths, P, C]: three packed sequences, one sequence that is all virtual, C not a multiple of 4, P = 1.
const CASES: [number[], number, number][] = [
  [[7, 5, 9], 4, 64],
  [[3], 3, 67],
  [[6, 2, 11, 4], 1, 576],
];

// Kernels under test: prompt_embedding_forward (spliced with linear_grid) and the scatter-add it uses backward.
describe('prompt_embedding', () => {
  it.each(CASES)('forward replaces exactly the virtual rows for lengths %j P=%i C=%i', async (lengths, p, channels) => {
    const ctx = await testContext();
    const positions = positionsOf(lengths);
    const t = positions.length;
    expect(packedSeqStart(lengths).length).toBe(t);
    const prompt = randomArray(p * channels, 1);
    const x = randomArray(t * channels, 2);
    const tPos = ctx.tensor([t], 'u32', 'positions', positions);
    const tPrompt = ctx.tensor([p, channels], 'f32', 'prompt', prompt);
    const tX = ctx.tensor([t, channels], 'f32', 'x', x);
    promptEmbeddingForward(ctx, tPos, tPrompt, tX);
    assertClose(await ctx.read(tX), promptEmbeddingForwardRef(positions, prompt, x, channels), { atol: 0, rtol: 0 }, 'prompt_embedding_forward');
    for (const tensor of [tPos, tPrompt, tX]) ctx.release(tensor);
  });

  it.each(CASES)('backward sums each virtual position over the sequences for lengths %j P=%i C=%i', async (lengths, p, channels) => {
    const ctx = await testContext();
    const positions = positionsOf(lengths);
    const t = positions.length;
    const dX = randomArray(t * channels, 3);
    const initial = randomArray(p * channels, 4);
    const tPos = ctx.tensor([t], 'u32', 'positions', positions);
    const tdX = ctx.tensor([t, channels], 'f32', 'dX', dX);
    const tdPrompt = ctx.tensor([p, channels], 'f32', 'dPrompt', initial);
    promptEmbeddingBackward(ctx, tPos, tdX, tdPrompt); // accumulates into what is there
    const expected = promptEmbeddingBackwardRef(positions, dX, p, channels, initial);
    expect(maxRelativeError(await ctx.read(tdPrompt), expected)).toBeLessThan(1e-6);
    for (const tensor of [tPos, tdX, tdPrompt]) ctx.release(tensor);
  });

  it('the backward is the forward’s gradient (finite differences of the float64 reference)', () => {
    const lengths = [5, 3, 6];
    const p = 3;
    const channels = 8;
    const positions = positionsOf(lengths);
    const t = positions.length;
    const x = randomArray(t * channels, 5);
    const dOut = randomArray(t * channels, 6);
    const prompt = Float64Array.from(randomArray(p * channels, 7));
    const numeric = finiteDifference((w) => dot(dOut, promptEmbeddingForwardRef(positions, w, x, channels)), prompt);
    expect(maxRelativeError(promptEmbeddingBackwardRef(positions, dOut, p, channels), numeric)).toBeLessThan(1e-6);
  });

  it('refuses a prompt whose width is not x’s', async () => {
    const ctx = await testContext();
    const tPos = ctx.tensor([4], 'u32', 'positions', positionsOf([4]));
    const tPrompt = ctx.tensor([2, 8], 'f32', 'prompt');
    const tX = ctx.tensor([4, 16], 'f32', 'x');
    expect(() => promptEmbeddingForward(ctx, tPos, tPrompt, tX)).toThrow(/x .* must be \[4×8:f32\]/);
    for (const tensor of [tPos, tPrompt, tX]) ctx.release(tensor);
  });
});
