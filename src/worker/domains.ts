/**
 * The engine worker's request domains beyond models, generation and datasets: training runs, the adapter
 * library, side-by-side comparison and Hub downloads. Each domain owns a protocol file (`<domain>-protocol.ts`,
 * message kinds prefixed with the domain's name) and a handler file; the worker routes by prefix here, so adding
 * a domain never touches the others.
 *
 * Rule for domain messages: a reply carries `id` (its request's); an event must NOT carry a field named `id`
 * (the client would take it for the reply of a pending request) — name it `runId`, `requestId`, ….
 */
import type { GpuContext } from '../gpu/context';
import type { ModelSession } from './model-session';
import type { FromEngine, ToEngine } from './protocol';

/** What the worker shares with its domain handlers. */
export interface WorkerServices {
  /** The device's context, acquired on first use (rejects with WebGPUUnavailableError when there is none). */
  getEngine(): Promise<GpuContext>;
  /** The loaded model, if any. */
  session(): ModelSession | null;
  /** Replaces the loaded model (the previous one is disposed by the caller). */
  setSession(session: ModelSession | null): void;
  post(message: FromEngine): void;
  /** Runs `task` after every load/generation asked before it (GPU work that must not overlap). */
  exclusive(task: () => Promise<void>): Promise<void>;
  /** Stops the generation in progress, if any. */
  abortGeneration(): void;
}

export interface DomainHandler {
  /** Message kinds of this domain start with this prefix, e.g. 'train-'. */
  prefix: string;
  handle(message: ToEngine, services: WorkerServices): Promise<void>;
}
