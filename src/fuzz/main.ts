/**
 * `npm run fuzz`: every reader against mutated and generated files.
 *   npm run fuzz -- [--cases 10000] [--seed 1] [--target gguf-model …] [--heap-mb 512] [--hang-ms 20000] [--json out.json]
 *   npm run fuzz -- --target csv --case 4711      (one case again, in this process, with its stack)
 * Exits 1 when any case hung, exhausted the heap, crashed the worker or threw an error that is not the reader's.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { findingsOf, runCampaign, type TargetReport } from './campaign';
import { makeCase, runCase } from './cases';
import { FUZZ_TARGETS, fuzzTarget } from './targets';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    target: { type: 'string', multiple: true },
    case: { type: 'string' },
    'heap-mb': { type: 'string', default: '512' },
    'hang-ms': { type: 'string', default: '20000' },
    json: { type: 'string' },
  },
});
const integer = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`--${name} must be a whole number, got '${text}'`);
  return n;
};
const runSeed = integer('seed', values.seed);
const targets = values.target ?? FUZZ_TARGETS.map((t) => t.name);

if (values.case !== undefined) {
  const target = fuzzTarget(targets[0]);
  const made = await makeCase(target, await target.seeds(), runSeed, integer('case', values.case));
  console.log(`${target.name} case ${values.case} (seed ${runSeed}): ${made.bytes.length} bytes, ${made.how}`);
  console.log(await runCase(target, made.bytes, made.seed));
  process.exit(0);
}

const cases = integer('cases', values.cases);
const started = Date.now();
let last = 0;
const reports = await runCampaign({
  targets,
  runSeed,
  cases,
  hangMs: integer('hang-ms', values['hang-ms']),
  heapMb: integer('heap-mb', values['heap-mb']),
  onProgress: (target, done, total) => {
    if (Date.now() - last > 5000 || done === total) {
      last = Date.now();
      process.stderr.write(`${target}: ${done}/${total}\n`);
    }
  },
});

const row = (r: TargetReport) =>
  `| ${r.target} | ${r.cases} | ${r.ok} | ${r.refused} | ${r.untyped.length} | ${r.hangs.length} | ${r.crashes.length} | ${r.maxMs.toFixed(0)} | ${r.p99Ms.toFixed(1)} | ${r.peakHeapMiB.toFixed(0)} | ${r.seconds.toFixed(0)} |`;
console.log(`\nseed ${runSeed}, ${cases} cases per reader, ${((Date.now() - started) / 1000).toFixed(0)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
console.log('| reader | cases | read | refused | untyped | hangs | crashes | max ms | p99 ms | peak heap MiB | s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of reports) console.log(row(r));
let bad = 0;
for (const r of reports) {
  for (const s of r.seedFailures) console.log(`\n${r.target}: seed refused: ${s}`);
  for (const f of findingsOf(r).slice(0, 10)) console.log(`\n${r.target} case ${f.index} (npm run fuzz -- --target ${r.target} --seed ${runSeed} --case ${f.index}):\n  ${f.detail}`);
  bad += findingsOf(r).length + r.seedFailures.length;
}
if (values.json) await writeFile(values.json, JSON.stringify({ runSeed, cases, reports }, null, 1));
process.exit(bad > 0 ? 1 : 0);
