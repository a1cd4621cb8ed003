/**
 * Files made from nothing, for the cases mutation rarely reaches: GGUF and safetensors headers whose counts,
 * lengths, types and offsets are drawn from small, plausible and extreme values; zips of hostile entry names and
 * bomb-like contents; JSON nested deep or wide; CSV with stray quotes; text with long lines; Parquet of random
 * schemas. Every choice comes from `rng`.
 */
import { zipSync } from 'fflate';
import type { DataRng } from '../data/rng';

const text = (s: string) => new TextEncoder().encode(s);
const pick = <T>(rng: DataRng, items: readonly T[]): T => items[rng.below(items.length)];
const chance = (rng: DataRng, p: number) => rng.nextU32() / 2 ** 32 < p;

/** A count or length: mostly small, sometimes huge. */
function size(rng: DataRng): bigint {
  if (chance(rng, 0.7)) return BigInt(rng.below(16));
  return pick(rng, [0xffn, 0xffffn, 0xffffffffn, 0x100000000n, 1n << 40n, 1n << 53n, (1n << 60n) + 7n, (1n << 64n) - 1n]);
}

class Bytes {
  private parts: Uint8Array[] = [];
  u32(v: number | bigint): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(BigInt(v) & 0xffffffffn), true);
    return this.push(b);
  }
  u64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v & ((1n << 64n) - 1n), true);
    return this.push(b);
  }
  push(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  done(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) (out.set(p, at), (at += p.length));
    return out;
  }
}

function randomTail(rng: DataRng, max: number): Uint8Array {
  const out = new Uint8Array(rng.below(max));
  for (let i = 0; i < out.length; i++) out[i] = rng.nextU32() & 0xff;
  return out;
}

const GGUF_KEYS = [
  'general.architecture', 'general.alignment', 'llama.block_count', 'llama.embedding_length', 'llama.feed_forward_length',
  'llama.attention.head_count', 'llama.attention.head_count_kv', 'llama.context_length', 'tokenizer.ggml.model',
  'tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.merges', 'adapter.type', 'adapter.lora.alpha',
];
const GGUF_TENSORS = ['token_embd.weight', 'blk.0.attn_q.weight', 'blk.0.attn_q.weight.lora_a', 'output_norm.weight'];

/** A GGUF header: random metadata entries and tensor infos, each length either true or drawn from `size`. */
export function generateGguf(rng: DataRng): Uint8Array {
  const out = new Bytes().push(text('GGUF')).u32(pick(rng, [3, 3, 3, 2, 1, 0x03000000, rng.nextU32()]));
  const kvs = rng.below(6);
  const tensors = rng.below(4);
  out.u64(chance(rng, 0.8) ? BigInt(tensors) : size(rng)).u64(chance(rng, 0.8) ? BigInt(kvs) : size(rng));
  const string = (s: string) => {
    const b = text(s);
    out.u64(chance(rng, 0.9) ? BigInt(b.length) : size(rng)).push(b);
  };
  const value = (type: number, depth: number): void => {
    if (type === 8) return string(pick(rng, ['llama', 'gpt2', 'lora', '', 'x'.repeat(rng.below(300))]));
    if (type === 9) {
      const element = depth > 2 ? 8 : pick(rng, [8, 8, 4, 6, 9, 0, 13, rng.nextU32()]);
      const count = rng.below(8);
      out.u32(element).u64(chance(rng, 0.8) ? BigInt(count) : size(rng));
      for (let i = 0; i < count; i++) value(element, depth + 1);
      return;
    }
    out.push(randomTail(rng, 9));
  };
  for (let i = 0; i < kvs; i++) {
    string(pick(rng, GGUF_KEYS));
    const type = pick(rng, [4, 8, 9, 9, 6, 0, 10, 12, 13, rng.nextU32()]);
    out.u32(type);
    value(type, 0);
  }
  for (let i = 0; i < tensors; i++) {
    string(pick(rng, GGUF_TENSORS));
    const dims = pick(rng, [1, 2, 2, 0, 5, rng.nextU32()]);
    out.u32(dims);
    for (let d = 0; d < Math.min(dims, 5); d++) out.u64(chance(rng, 0.8) ? BigInt(1 + rng.below(64)) : size(rng));
    out.u32(pick(rng, [0, 1, 8, 2, 12, 14, 30, 4, rng.below(64)]));
    out.u64(chance(rng, 0.7) ? BigInt(32 * rng.below(8)) : size(rng));
  }
  return out.push(randomTail(rng, 4096)).done();
}

/** A safetensors header of random entries (dtypes, shapes and offsets valid, wrong or absurd) over random data. */
export function generateSafetensors(rng: DataRng): Uint8Array {
  const header: Record<string, unknown> = {};
  const data = 32 * rng.below(64);
  const number = () => (chance(rng, 0.7) ? rng.below(data + 1) : pick(rng, [-1, 1.5, 2 ** 53, 2 ** 64, 1e308, '4', null]));
  for (let n = rng.below(6); n > 0; n--) {
    const name = pick(rng, ['model.embed_tokens.weight', 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', '__metadata__', 'x']);
    header[name] =
      name === '__metadata__'
        ? pick(rng, [{ format: 'pt' }, { 'webtune.base': '{"numLayers":1e9}' }, 'text', null, [1]])
        : {
            dtype: pick(rng, ['F32', 'F16', 'BF16', 'I64', 'F8_E4M3', 'Q4', 7]),
            shape: Array.from({ length: rng.below(4) }, number),
            data_offsets: chance(rng, 0.9) ? [number(), number()] : pick(rng, [[], [0], 'a', null]),
          };
  }
  const json = text(JSON.stringify(header));
  return new Bytes()
    .u64(chance(rng, 0.85) ? BigInt(json.length) : size(rng))
    .push(json)
    .push(randomTail(rng, data + 1))
    .done();
}

const ZIP_NAMES = [
  'adapter_config.json', 'adapter_model.safetensors', 'a/adapter_config.json', 'a/adapter_model.safetensors',
  '../adapter_config.json', '/etc/adapter_config.json', 'C:\\adapter_model.safetensors', 'a\\..\\..\\x', '__MACOSX/x',
  'dir/', 'adapter.gguf', 'two.gguf', '',
];

/** A zip of hostile names and contents: random bytes, JSON, or runs of zeros that deflate a thousandfold. */
export function generateZip(rng: DataRng): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 | 6 | 9 }]> = {};
  for (let n = 1 + rng.below(4); n > 0; n--) {
    const name = pick(rng, ZIP_NAMES);
    const body = pick(rng, [
      () => randomTail(rng, 512),
      () => text(JSON.stringify({ peft_type: pick(rng, ['LORA', 'IA3', 'PROMPT_TUNING', 'ADALORA']), r: size(rng).toString(), target_modules: ['q_proj'] })),
      () => new Uint8Array(1 << (10 + rng.below(14))),
    ])();
    entries[name] = [body, { level: pick(rng, [0, 6, 9] as const) }];
  }
  try {
    return zipSync(entries);
  } catch {
    return new Uint8Array([0x50, 0x4b, 5, 6, ...randomTail(rng, 40)]);
  }
}

const COLUMNS = ['prompt', 'completion', 'text', 'messages', 'conversations', 'instruction', 'input', 'output', 'role', 'content', 'from', 'value'];

/** A JSON value: objects with the dataset keys, strings, numbers, arrays (deep nesting is made as text, below). */
export function generateJsonValue(rng: DataRng, depth = 0): unknown {
  const kind = depth > 5 ? rng.below(3) : rng.below(6);
  if (kind === 0) return pick(rng, ['', 'Hush, the moon is up.', 'é\u2028\ud83c\udf19', 'x'.repeat(rng.below(2000)), '\u0000']);
  if (kind === 1) return pick(rng, [0, -1, 1e308, 2 ** 53 + 1, 0.5, true, false, null]);
  if (kind === 2) return pick(rng, ['user', 'assistant', 'system', 'human', 'gpt']);
  if (kind === 3) return Array.from({ length: rng.below(5) }, () => generateJsonValue(rng, depth + 1));
  const object: Record<string, unknown> = {};
  for (let n = rng.below(4); n > 0; n--) object[pick(rng, COLUMNS)] = generateJsonValue(rng, depth + 1);
  return object;
}

/** JSON Lines or one JSON array of generated rows; a deep nest is written as text (JSON.stringify would recurse). */
export function generateJson(rng: DataRng, lines: boolean): Uint8Array {
  const rows: string[] = [];
  for (let n = 1 + rng.below(12); n > 0; n--) {
    if (chance(rng, 0.02)) {
      const deep = 1000 + rng.below(200_000);
      rows.push('['.repeat(deep) + ']'.repeat(chance(rng, 0.5) ? deep : rng.below(deep)));
    } else rows.push(JSON.stringify(generateJsonValue(rng)));
  }
  return text(lines ? rows.join(pick(rng, ['\n', '\r\n', '\n\n'])) : `[${rows.join(',')}`.concat(chance(rng, 0.8) ? ']' : ''));
}

/** CSV or TSV: a header of dataset columns, cells with quotes, delimiters, line breaks, and unclosed quotes. */
export function generateDelimited(rng: DataRng, delimiter: ',' | '\t'): Uint8Array {
  const width = 1 + rng.below(4);
  const header = Array.from({ length: width }, () => pick(rng, COLUMNS)).join(delimiter);
  const cell = () => pick(rng, ['a', '"quoted, with delimiter"', '"line\nbreak"', '"unclosed', 'say ""hi""', '', '\r', 'é', 'x'.repeat(rng.below(500))]);
  const rows = Array.from({ length: rng.below(20) }, () => Array.from({ length: rng.below(width + 2) }, cell).join(delimiter));
  return text([header, ...rows].join(pick(rng, ['\n', '\r\n'])));
}

/** Plain text: paragraphs, CR and CRLF, odd Unicode, bytes that are not UTF-8, and rarely one line of 17 MiB. */
export function generateText(rng: DataRng): Uint8Array {
  if (chance(rng, 0.01)) return new Uint8Array(17 << 20).fill(0x61);
  const pieces = Array.from({ length: rng.below(40) }, () =>
    pick(rng, ['Hush, the moon is up.', '\n', '\n\n', '\r\n', '\r', '   ', '\u00e9\ud83c\udf19', '\ufeff', 'x'.repeat(rng.below(3000))]),
  );
  const bytes = text(pieces.join(''));
  if (chance(rng, 0.1) && bytes.length > 0) bytes[rng.below(bytes.length)] = pick(rng, [0xff, 0xc3, 0x80, 0x00]);
  return bytes;
}

/** A Parquet file of a random schema and rows, or PAR1 markers around random bytes with a random footer length. */
export async function generateParquet(rng: DataRng): Promise<Uint8Array> {
  if (chance(rng, 0.3)) {
    return new Bytes().push(text('PAR1')).push(randomTail(rng, 512)).u32(Number(size(rng) & 0xffffffffn)).push(text('PAR1')).done();
  }
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const rows = rng.below(40);
  const columnData = Array.from({ length: 1 + rng.below(3) }, () => {
    const type = pick(rng, ['STRING', 'STRING', 'INT32', 'DOUBLE', 'BOOLEAN'] as const);
    const make = (): unknown =>
      chance(rng, 0.1) ? null : type === 'STRING' ? pick(rng, ['Hush.', '', 'é', 'x'.repeat(rng.below(300))]) : type === 'INT32' ? rng.below(1000) : type === 'DOUBLE' ? rng.nextU32() / 7 : chance(rng, 0.5);
    return { name: pick(rng, COLUMNS), data: Array.from({ length: rows }, make), type };
  });
  try {
    return new Uint8Array(parquetWriteBuffer({ columnData } as Parameters<typeof parquetWriteBuffer>[0]));
  } catch {
    return new Uint8Array(0); // the writer refused the schema (two columns of one name): an empty file, then
  }
}
