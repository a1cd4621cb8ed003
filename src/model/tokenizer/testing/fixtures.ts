/**
 * Test fixtures: the real tokenizer files under shared/models, and a minimal reader of a GGUF file's metadata
 * (only what tokenizer tests need; the app's GGUF reader lives in src/model/gguf and is not used here, so these
 * tests stand on their own).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GgufTokenizerSource } from '../gguf-vocab';

export const MODELS = fileURLToPath(new URL('../../../../../shared/models/', import.meta.url));
export const STORIES_GGUF = `${MODELS}stories260K/stories260K.gguf`;
export const STORIES_HF = `${MODELS}stories260K/hf/`;
export const SMOLLM2 = `${MODELS}SmolLM2-135M-Instruct-tokenizer/`;

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

type MetaValue = string | number | bigint | boolean | MetaValue[];

/** Reads the key/value section of a GGUF (v2/v3) file. */
export function readGgufMetadata(path: string): Map<string, MetaValue> {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  let at = 0;
  const u32 = () => ((at += 4), view.getUint32(at - 4, true));
  const u64 = () => ((at += 8), view.getBigUint64(at - 8, true));
  const str = () => {
    const n = Number(u64());
    at += n;
    return text.decode(bytes.subarray(at - n, at));
  };
  const value = (type: number): MetaValue => {
    switch (type) {
      case 0: return ((at += 1), view.getUint8(at - 1));
      case 1: return ((at += 1), view.getInt8(at - 1));
      case 2: return ((at += 2), view.getUint16(at - 2, true));
      case 3: return ((at += 2), view.getInt16(at - 2, true));
      case 4: return u32();
      case 5: return ((at += 4), view.getInt32(at - 4, true));
      case 6: return ((at += 4), view.getFloat32(at - 4, true));
      case 7: return ((at += 1), view.getUint8(at - 1) !== 0);
      case 8: return str();
      case 9: {
        const elementType = u32();
        const n = Number(u64());
        return Array.from({ length: n }, () => value(elementType));
      }
      case 10: return u64();
      case 11: return ((at += 8), view.getBigInt64(at - 8, true));
      case 12: return ((at += 8), view.getFloat64(at - 8, true));
      default: throw new Error(`${path}: unknown GGUF value type ${type} at byte ${at}`);
    }
  };
  if (text.decode(bytes.subarray(0, 4)) !== 'GGUF') throw new Error(`${path}: not a GGUF file`);
  at = 4;
  u32(); // version
  u64(); // tensor count
  const count = Number(u64());
  const out = new Map<string, MetaValue>();
  for (let i = 0; i < count; i++) {
    const key = str();
    out.set(key, value(u32()));
  }
  return out;
}

/** What the integrator will build from GGUF metadata, built here from the test reader. */
export function ggufTokenizerSource(path: string): GgufTokenizerSource {
  const meta = readGgufMetadata(path);
  const num = (key: string) => (meta.has(key) ? Number(meta.get(key)) : undefined);
  const flag = (key: string) => (meta.has(key) ? Boolean(meta.get(key)) : undefined);
  return {
    model: meta.get('tokenizer.ggml.model') as 'llama' | 'gpt2',
    tokens: meta.get('tokenizer.ggml.tokens') as string[],
    scores: meta.get('tokenizer.ggml.scores') as number[] | undefined,
    tokenTypes: meta.get('tokenizer.ggml.token_type') as number[] | undefined,
    merges: meta.get('tokenizer.ggml.merges') as string[] | undefined,
    bosId: num('tokenizer.ggml.bos_token_id'),
    eosId: num('tokenizer.ggml.eos_token_id'),
    unkId: num('tokenizer.ggml.unknown_token_id'),
    padId: num('tokenizer.ggml.padding_token_id'),
    addBos: flag('tokenizer.ggml.add_bos_token'),
    addEos: flag('tokenizer.ggml.add_eos_token'),
    addSpacePrefix: flag('tokenizer.ggml.add_space_prefix'),
    preTokenizer: meta.get('tokenizer.ggml.pre') as string | undefined,
  };
}
