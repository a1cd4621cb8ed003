/**
 * GGML tensor types as numbered in GGUF files, with their block layout: `blockSize` elements are stored in
 * `typeSize` bytes. Only the types webtune reads are `supported`; others are named so errors can say which.
 */
export type GgmlTypeName =
  | 'F32'
  | 'F16'
  | 'Q4_0'
  | 'Q4_1'
  | 'Q5_0'
  | 'Q5_1'
  | 'Q8_0'
  | 'Q8_1'
  | 'Q2_K'
  | 'Q3_K'
  | 'Q4_K'
  | 'Q5_K'
  | 'Q6_K'
  | 'Q8_K'
  | 'I8'
  | 'I16'
  | 'I32'
  | 'I64'
  | 'F64'
  | 'BF16';

export interface GgmlType {
  id: number;
  name: GgmlTypeName;
  blockSize: number;
  typeSize: number;
  supported: boolean;
}

const TABLE: GgmlType[] = [
  { id: 0, name: 'F32', blockSize: 1, typeSize: 4, supported: true },
  { id: 1, name: 'F16', blockSize: 1, typeSize: 2, supported: true },
  { id: 2, name: 'Q4_0', blockSize: 32, typeSize: 18, supported: true },
  { id: 3, name: 'Q4_1', blockSize: 32, typeSize: 20, supported: false },
  { id: 6, name: 'Q5_0', blockSize: 32, typeSize: 22, supported: false },
  { id: 7, name: 'Q5_1', blockSize: 32, typeSize: 24, supported: false },
  { id: 8, name: 'Q8_0', blockSize: 32, typeSize: 34, supported: true },
  { id: 9, name: 'Q8_1', blockSize: 32, typeSize: 36, supported: false },
  { id: 10, name: 'Q2_K', blockSize: 256, typeSize: 84, supported: false },
  { id: 11, name: 'Q3_K', blockSize: 256, typeSize: 110, supported: false },
  { id: 12, name: 'Q4_K', blockSize: 256, typeSize: 144, supported: true },
  { id: 13, name: 'Q5_K', blockSize: 256, typeSize: 176, supported: false },
  { id: 14, name: 'Q6_K', blockSize: 256, typeSize: 210, supported: true },
  { id: 15, name: 'Q8_K', blockSize: 256, typeSize: 292, supported: false },
  { id: 24, name: 'I8', blockSize: 1, typeSize: 1, supported: false },
  { id: 25, name: 'I16', blockSize: 1, typeSize: 2, supported: false },
  { id: 26, name: 'I32', blockSize: 1, typeSize: 4, supported: false },
  { id: 27, name: 'I64', blockSize: 1, typeSize: 8, supported: false },
  { id: 28, name: 'F64', blockSize: 1, typeSize: 8, supported: false },
  { id: 30, name: 'BF16', blockSize: 1, typeSize: 2, supported: true },
];

const BY_ID = new Map(TABLE.map((t) => [t.id, t]));
const BY_NAME = new Map(TABLE.map((t) => [t.name, t]));

export function ggmlTypeById(id: number): GgmlType | undefined {
  return BY_ID.get(id);
}

export function ggmlType(name: GgmlTypeName): GgmlType {
  return BY_NAME.get(name)!;
}

/** Bytes taken by `elements` values of a type; throws when the count is not a whole number of blocks. */
export function ggmlByteSize(type: GgmlType, elements: number): number {
  if (elements % type.blockSize !== 0) {
    throw new RangeError(`${type.name}: ${elements} elements is not a multiple of the block size ${type.blockSize}`);
  }
  return (elements / type.blockSize) * type.typeSize;
}
