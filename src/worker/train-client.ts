/**
 * The Train view's calls on the worker's training requests: one promise per run, settled when the run stops (a
 * TrainFailure resolves too, as the run's result), its events by runId, and pause/stop.
 */
import { type EngineClient, engineProblem } from './client';
import type { TrainEvent, TrainFailure, TrainOutcome, TrainStartRequest } from './train-protocol';

export type { TrainEvent } from './train-protocol';
export type TrainResult = { ok: true; outcome: TrainOutcome } | { ok: false; failure: TrainFailure };

/**
 * Starts (or resumes) a run; `onEvent` hears its events until it ends. Resolves with the outcome or the failure;
 * rejects only when the engine itself is gone, or the request was not understood (EngineError).
 */
export async function startRun(
  client: EngineClient,
  request: TrainStartRequest,
  onEvent: (event: TrainEvent) => void,
): Promise<TrainResult> {
  const unsubscribe = client.subscribe((event) => {
    if ('runId' in event && event.runId === request.runId) onEvent(event);
  });
  try {
    return { ok: true, outcome: await client.call('train-start', request) };
  } catch (error) {
    const failure = engineProblem(error, 'train');
    if (!failure) throw error;
    return { ok: false, failure };
  } finally {
    unsubscribe();
  }
}

export function controlRun(client: EngineClient, runId: string, action: 'pause' | 'stop'): void {
  client.notify('train-control', { runId, action });
}
