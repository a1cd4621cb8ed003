/**
 * One target's cases in a child process (campaign.ts), so the campaign can stop a hang and a case that exhausts the
 * heap or aborts Node ends this process, not the run. Before the cases, each seed must read cleanly: a fuzzer whose seeds are refused
 * tests nothing. After each case: its outcome, time and the heap (V8's used heap + array buffers) left behind.
 */
import { getHeapStatistics } from 'node:v8';
import { makeCase, runCase } from './cases';
import type { FromCaseRunner, FuzzJob } from './protocol';
import { fuzzTarget } from './targets';

const job = JSON.parse(process.argv[2]) as FuzzJob;
const post = (message: FromCaseRunner) => process.send!(message);
const target = fuzzTarget(job.target);
const seeds = await target.seeds();
if (job.from === 0) {
  for (const seed of seeds) {
    const { outcome, detail } = await runCase(target, seed.bytes, seed.name);
    if (outcome !== 'ok') post({ kind: 'seed-failed', seed: seed.name, detail });
  }
}
for (let index = job.from; index < job.to; index++) {
  post({ kind: 'starting', index });
  const made = await makeCase(target, seeds, job.runSeed, index);
  const start = performance.now();
  const { outcome, detail } = await runCase(target, made.bytes, made.seed);
  const ms = performance.now() - start;
  const heapBytes = getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
  post({ kind: 'case', index, outcome, detail, how: made.how, ms, heapBytes });
}
// Disconnected once the last message is out, so the process ends without being killed.
process.send!({ kind: 'done' } satisfies FromCaseRunner, () => process.disconnect?.());
