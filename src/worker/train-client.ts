/**
 * The main thread's handle on the worker's 'train-' domain, built on EngineClient.request/send/subscribe: one
 * promise per run (settled by `train-ended`), its events by runId, pause/stop, and the base's header.
 */
import type { EngineClient } from './client';
import type {
  TrainFailure,
  TrainFromEngine,
  TrainModelInfo,
  TrainModelSource,
  TrainOutcome,
  TrainStartRequest,
} from './train-protocol';

export type TrainEvent = Exclude<TrainFromEngine, { id: number }>;
export type TrainResult = { ok: true; outcome: TrainOutcome } | { ok: false; failure: TrainFailure };

function isTrainEvent(message: { kind: string }): message is TrainEvent {
  return (
    message.kind === 'train-started' ||
    message.kind === 'train-progress' ||
    message.kind === 'train-sample' ||
    message.kind === 'train-notice'
  );
}

/**
 * Starts (or resumes) a run; `onEvent` hears its events until it ends. Resolves with the outcome or the failure;
 * rejects only when the engine itself is gone (EngineRequestError).
 */
export function startRun(
  client: EngineClient,
  request: Omit<TrainStartRequest, 'kind' | 'id'>,
  onEvent: (event: TrainEvent) => void,
): Promise<TrainResult> {
  const unsubscribe = client.subscribe((message) => {
    if (isTrainEvent(message) && message.runId === request.runId) onEvent(message);
  });
  return client
    .request({ kind: 'train-start', id: client.newId(), ...request }, (reply) => (reply.kind === 'train-ended' ? reply.result : undefined))
    .finally(unsubscribe);
}

export function controlRun(client: EngineClient, runId: string, action: 'pause' | 'stop'): void {
  client.send({ kind: 'train-control', runId, action });
}

export async function inspectModel(client: EngineClient, model: TrainModelSource): Promise<TrainModelInfo> {
  const result = await client.request({ kind: 'train-inspect', id: client.newId(), model }, (reply) =>
    reply.kind === 'train-inspected' ? reply.result : undefined,
  );
  if (!result.ok) throw new Error(result.message);
  return result.info;
}

export async function deleteRunFiles(client: EngineClient, runId: string): Promise<void> {
  await client.request({ kind: 'train-delete-files', id: client.newId(), runId }, (reply) =>
    reply.kind === 'train-files-deleted' ? true : undefined,
  );
}
