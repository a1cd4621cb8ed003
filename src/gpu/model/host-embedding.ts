/**
 * A token embedding kept on the host, in its file's bytes, when the LM head is a matrix of its own (untied): then
 * the GPU never reads the table as a whole, only T rows per forward, so the host decodes those rows and writes
 * them (T × C floats) where the GPU's gather would have put them. For a 128k-row vocabulary that keeps 1 GiB
 * (BF16, Llama 3 8B) off the GPU for a write of a few MiB per step. A tied table is the head too and stays on
 * the GPU (embedding_forward_quant.wgsl reads it as stored).
 *
 * Rows are decoded as model/quant/dequantize.ts does for the CPU reference (16-bit floats exactly), so the values
 * equal those of the GPU gather; an id outside the vocabulary gives a row of zeros, as the kernels do.
 */
import type { GgmlTypeName } from '../../model/ggml-types';
import { decodeTensorBytes, tensorByteSize } from '../../model/quant/dequantize';

export class HostEmbedding {
  readonly shape: readonly [number, number];
  /** GPU bytes it holds: none. */
  readonly byteSize = 0;
  private readonly rowBytes: number;

  constructor(
    private readonly bytes: Uint8Array,
    readonly dtype: GgmlTypeName,
    shape: readonly [number, number],
    readonly label: string,
  ) {
    this.shape = [shape[0], shape[1]];
    const rowBytes = tensorByteSize(dtype, shape[1]);
    if (rowBytes === null) throw new RangeError(`${label}: type ${dtype} cannot be decoded on the host`);
    this.rowBytes = rowBytes;
    if (this.rowBytes * shape[0] !== bytes.byteLength) {
      throw new RangeError(`${label}: ${bytes.byteLength} bytes for [${shape.join(', ')}] ${dtype}`);
    }
  }

  /** Host bytes held (the table as the file stores it). */
  get hostBytes(): number {
    return this.bytes.byteLength;
  }

  /** The rows of `ids`, [T, C] f32, decoded from the stored bytes. */
  gather(ids: ArrayLike<number>): Float32Array {
    const [vocab, channels] = this.shape;
    const out = new Float32Array(ids.length * channels);
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t];
      if (!(id >= 0 && id < vocab)) continue; // zeros, as the GPU gather writes
      out.set(this.row(id), t * channels);
    }
    return out;
  }

  private row(id: number): Float32Array {
    const bytes = this.bytes.subarray(id * this.rowBytes, (id + 1) * this.rowBytes);
    return decodeTensorBytes(bytes, this.dtype, this.shape[1])!; // the type was checked when the table was made
  }
}
