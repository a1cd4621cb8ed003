/** Messages between the fuzz campaign and the process that runs one target's cases (case-runner.ts). */
import type { Outcome } from './cases';

export interface FuzzJob {
  target: string;
  runSeed: number;
  from: number;
  to: number;
}

export type FromCaseRunner =
  | { kind: 'seed-failed'; seed: string; detail: string }
  | { kind: 'starting'; index: number }
  | { kind: 'case'; index: number; outcome: Outcome; detail: string; how: string; ms: number; heapBytes: number }
  | { kind: 'done' };
