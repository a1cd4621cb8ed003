/**
 * Typed access to GGUF metadata: each getter returns the value in the type asked for or throws a ModelFormatError
 * naming the file, the key and what was found, so architecture code reads like a config and never casts.
 */
import { ModelFormatError } from '../errors';
import { type GgufArray, type GgufEntry, GgufValueType, ggufValueType, ggufValueTypeName, isGgufNumeric } from './types';

export function describeEntry(entry: GgufEntry): string {
  if (entry.type === GgufValueType.Array) {
    return `array<${ggufValueTypeName(entry.value.elementType)}>[${entry.value.values.length}]`;
  }
  return ggufValueTypeName(entry.type);
}

export class GgufMetadata {
  constructor(
    readonly file: string,
    readonly entries: ReadonlyMap<string, GgufEntry>,
  ) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): GgufEntry | undefined {
    return this.entries.get(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  private fail(key: string, problem: string): never {
    throw new ModelFormatError(this.file, `metadata key '${key}' ${problem}`);
  }

  private required(key: string): GgufEntry {
    const entry = this.entries.get(key);
    if (!entry) this.fail(key, 'is missing');
    return entry;
  }

  private wrongType(key: string, entry: GgufEntry, expected: string): never {
    this.fail(key, `is ${describeEntry(entry)}, expected ${expected}`);
  }

  string(key: string): string {
    const e = this.required(key);
    if (e.type !== GgufValueType.String) this.wrongType(key, e, 'string');
    return e.value as string;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  /** Any integer type, as a safe integer number. */
  integer(key: string): number {
    const e = this.required(key);
    if (ggufValueType(e.type).kind !== 'integer' || typeof e.value !== 'number') this.wrongType(key, e, 'an integer');
    return e.value;
  }

  optionalInteger(key: string): number | undefined {
    return this.has(key) ? this.integer(key) : undefined;
  }

  /** Any integer or float type. */
  number(key: string): number {
    const e = this.required(key);
    if (!isGgufNumeric(e.type) || typeof e.value !== 'number') {
      this.wrongType(key, e, 'a number');
    }
    return e.value;
  }

  optionalNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  boolean(key: string): boolean {
    const e = this.required(key);
    if (e.type !== GgufValueType.Bool) this.wrongType(key, e, 'bool');
    return e.value as boolean;
  }

  optionalBoolean(key: string): boolean | undefined {
    return this.has(key) ? this.boolean(key) : undefined;
  }

  array(key: string): GgufArray {
    const e = this.required(key);
    if (e.type !== GgufValueType.Array) this.wrongType(key, e, 'an array');
    return e.value;
  }

  stringArray(key: string): string[] {
    const a = this.array(key);
    if (a.elementType !== GgufValueType.String) this.wrongType(key, this.required(key), 'array<string>');
    return a.values as string[];
  }

  optionalStringArray(key: string): string[] | undefined {
    return this.has(key) ? this.stringArray(key) : undefined;
  }

  /** A numeric array (integer or float elements) as numbers; 64-bit integer elements are converted. */
  numberArray(key: string): ArrayLike<number> {
    const a = this.array(key);
    if (!isGgufNumeric(a.elementType)) {
      this.wrongType(key, this.required(key), 'a numeric array');
    }
    const v = a.values;
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, Number);
    return v as ArrayLike<number>;
  }

  optionalNumberArray(key: string): ArrayLike<number> | undefined {
    return this.has(key) ? this.numberArray(key) : undefined;
  }
}
