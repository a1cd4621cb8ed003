/**
 * The layout quantized weights take on the GPU, read by src/shaders/matmul_weights_<format>.wgsl. Each block
 * is split into a quant array `q` (u32 words, `qWords` per block, so no block straddles a word) and a scale
 * array `s`; blocks stay in host order (row-major, K / blockSize blocks per row). The bytes are the host
 * block's bytes, regrouped: GPU size equals host size up to the padding of `s` to a whole word.
 *
 *   format  q words/block (host bytes)       s per block                    GPU bytes/weight
 *   q8_0    8  (qs[32])                      f16 d (two blocks per word)    34/32  = 1.0625
 *   q4_0    4  (qs[16])                      f16 d (two blocks per word)    18/32  = 0.5625
 *   q4_k    35 (scales[12], qs[128])         one word: f16 d | f16 dmin<<16 144/256 = 0.5625
 *   q6_k    52 (ql[128], qh[64], scales[16]) f16 d (two blocks per word)    210/256 = 0.8203
 *   nf4     8  (codes[32])                   one word: f32 absmax           36/64  = 0.5625
 *   f16     16 (32 halves)                   none (a one-word stand-in)     2
 *   bf16    16 (32 bfloat16)                 none (a one-word stand-in)     2
 *
 * For f16 and bf16 `q` is the tensor's bytes unchanged, so packing is one copy.
 */
import { QUANT_FORMATS, type QuantFormat } from './formats';

interface BlockSplit {
  /** Where the quants start in a host block, and how many words they fill. */
  qOffset: number;
  qWords: number;
  /** Where the scale starts in a host block; 'half': one f16, packed two per word; 'word': 4 bytes; 'none'. */
  sOffset: number;
  sKind: 'half' | 'word' | 'none';
}

export const GPU_BLOCK_SPLIT: Readonly<Record<QuantFormat, BlockSplit>> = {
  q8_0: { qOffset: 2, qWords: 8, sOffset: 0, sKind: 'half' },
  q4_0: { qOffset: 2, qWords: 4, sOffset: 0, sKind: 'half' },
  q4_k: { qOffset: 4, qWords: 35, sOffset: 0, sKind: 'word' },
  q6_k: { qOffset: 0, qWords: 52, sOffset: 208, sKind: 'half' },
  nf4: { qOffset: 4, qWords: 8, sOffset: 0, sKind: 'word' },
  f16: { qOffset: 0, qWords: 16, sOffset: 0, sKind: 'none' },
  bf16: { qOffset: 0, qWords: 16, sOffset: 0, sKind: 'none' },
};

export interface GpuBlocks {
  q: Uint32Array;
  s: Uint32Array;
}

/** Words of `s` for `blocks` blocks (one stand-in word for a format without scales: a binding cannot be empty). */
export function scaleWords(format: QuantFormat, blocks: number): number {
  const { sKind } = GPU_BLOCK_SPLIT[format];
  return sKind === 'none' ? 1 : sKind === 'half' ? Math.ceil(blocks / 2) : blocks;
}

/** Regroups host blocks [firstBlock, firstBlock + blocks) of `bytes` into the GPU layout. */
export function packGpuBlocks(format: QuantFormat, bytes: Uint8Array, firstBlock: number, blocks: number): GpuBlocks {
  const { blockBytes } = QUANT_FORMATS[format];
  const split = GPU_BLOCK_SPLIT[format];
  const q = new Uint32Array(blocks * split.qWords);
  const s = new Uint32Array(scaleWords(format, blocks));
  const qBytes = new Uint8Array(q.buffer); // WebGPU hosts are little-endian, as the GPU's u32 reads are
  if (split.sKind === 'none') {
    qBytes.set(bytes.subarray(firstBlock * blockBytes, (firstBlock + blocks) * blockBytes));
    return { q, s };
  }
  const sBytes = new Uint8Array(s.buffer);
  const scaleBytes = split.sKind === 'half' ? 2 : 4;
  for (let b = 0; b < blocks; b++) {
    const at = bytes.byteOffset + (firstBlock + b) * blockBytes;
    const src = new Uint8Array(bytes.buffer, at, blockBytes);
    qBytes.set(src.subarray(split.qOffset, split.qOffset + split.qWords * 4), b * split.qWords * 4);
    sBytes.set(src.subarray(split.sOffset, split.sOffset + scaleBytes), b * scaleBytes);
  }
  return { q, s };
}
