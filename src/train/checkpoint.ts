/**
 * One checkpoint file holds everything a run needs to continue exactly: the trainer's adapter parameters and
 * AdamW moments (bit-exact f32), its dropout RNG, the data position, the loop's early-stopping state, the metrics
 * history and the config. It is written atomically (RunStorage.write), so the previous checkpoint survives any
 * failure while the next is written.
 *
 * Layout (little-endian):
 *   bytes 0..7   magic "WTCKPT01"
 *   bytes 8..11  u32 H, length of the JSON header
 *   bytes 12..   JSON header (UTF-8), zero-padded to a multiple of 4
 *   then         f32 arrays params, m, v in that order (lengths in the header), then u32 FNV-1a of those bytes
 */
import type { ParameterLayout, TrainerState } from '../gpu/train/types';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './config';
import type { EarlyStoppingState } from './early-stopping';
import type { MetricsHistory } from './metrics';

export const CHECKPOINT_FILE = 'checkpoint.wtck';
export const BEST_FILE = 'best.wtck';
const MAGIC = 'WTCKPT01';

export interface Checkpoint {
  /** Optimizer steps completed. */
  step: number;
  config: TrainingConfig;
  /** The batch source's position after the last completed step (JSON, owned by the source). */
  dataPosition: unknown;
  earlyStopping: EarlyStoppingState;
  history: MetricsHistory;
  trainer: TrainerState;
  /** Training time and token slots so far, so tokens/s and ETA continue across a resume. */
  elapsedSeconds: number;
  tokensSeen: number;
  /** Free-form description of the base model, to refuse resuming on another one. */
  model: string;
}

type Header = Omit<Checkpoint, 'trainer'> & {
  /** layout: absent in checkpoints written before LoRA+, whose parameters were interleaved. */
  trainer: { step: number; rngState: number[]; lengths: [number, number, number]; layout?: ParameterLayout };
};

export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array[] {
  const { params, m, v, step, rngState, layout } = c.trainer;
  const header: Header = { ...c, trainer: { step, rngState, layout, lengths: [params.length, m.length, v.length] } };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 4) * 4;
  const head = new Uint8Array(12 + padded);
  head.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(head.buffer).setUint32(8, json.length, true);
  head.set(json, 12);
  const arrays = [f32Bytes(params), f32Bytes(m), f32Bytes(v)];
  let h = 0x811c9dc5;
  for (const a of arrays) for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a[i], 0x01000193) >>> 0;
  const sum = new Uint8Array(4);
  new DataView(sum.buffer).setUint32(0, h >>> 0, true);
  return [head, ...arrays, sum];
}

export function decodeCheckpoint(bytes: Uint8Array, file = CHECKPOINT_FILE): Checkpoint {
  const fail = (problem: string): never => {
    throw new CheckpointError(file, problem);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    fail('is not a webtune checkpoint (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  const dataStart = 12 + Math.ceil(jsonLength / 4) * 4;
  if (dataStart > bytes.length) fail(`is truncated (header of ${jsonLength} bytes, file of ${bytes.length})`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as Header;
  } catch (error) {
    return fail(`has a corrupt header (${(error as Error).message})`);
  }
  const lengths = header.trainer?.lengths;
  if (!Array.isArray(lengths) || lengths.length !== 3) return fail('header has no tensor lengths');
  const dataBytes = lengths.reduce((s, n) => s + n * 4, 0);
  if (dataStart + dataBytes + 4 !== bytes.length) {
    fail(`is truncated or padded: expected ${dataStart + dataBytes + 4} bytes, found ${bytes.length}`);
  }
  const data = bytes.slice(dataStart, dataStart + dataBytes); // copy: aligned, and independent of the file buffer
  const stored = view.getUint32(dataStart + dataBytes, true);
  if (fnv1a(data) !== stored) fail('tensor data does not match its checksum (the file is corrupt)');
  const floats = new Float32Array(data.buffer, 0, dataBytes / 4);
  const [np, nm] = lengths;
  const trainer: TrainerState = {
    step: header.trainer.step,
    layout: header.trainer.layout ?? 'interleaved',
    rngState: header.trainer.rngState,
    params: floats.subarray(0, np),
    m: floats.subarray(np, np + nm),
    v: floats.subarray(np + nm),
  };
  // A setting added since the checkpoint was written takes its default, which is how that run trained.
  return { ...header, config: { ...DEFAULT_TRAINING_CONFIG, ...header.config }, trainer };
}
