/** Every reader the fuzzer drives, by name (`npm run fuzz -- --target <name>`). */
import { csvTarget, jsonlTarget, jsonTarget, parquetTarget, tsvTarget, txtTarget } from './datasets';
import { ggufLoraTarget, ggufModelTarget, hfFolderTarget, peftZipTarget, safetensorsTarget } from './models';
import type { FuzzTarget } from './target';

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  ggufModelTarget,
  safetensorsTarget,
  hfFolderTarget,
  ggufLoraTarget,
  peftZipTarget,
  jsonlTarget,
  jsonTarget,
  csvTarget,
  tsvTarget,
  parquetTarget,
  txtTarget,
];

export function fuzzTarget(name: string): FuzzTarget {
  const target = FUZZ_TARGETS.find((t) => t.name === name);
  if (!target) throw new RangeError(`no fuzz target '${name}' (targets: ${FUZZ_TARGETS.map((t) => t.name).join(', ')})`);
  return target;
}
