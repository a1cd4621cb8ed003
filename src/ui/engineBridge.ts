/**
 * The one place where engine news reaches the store: it owns the worker client, turns its promises and events
 * into device-slice actions, and can start over with a fresh worker when the user asks to try again.
 */
import { EngineClient, EngineRequestError } from '../worker/client';
import type { EngineFailure } from '../worker/protocol';
import { useStudio } from './stores/studio';

let client: EngineClient | null = null;

function failureOf(error: unknown): EngineFailure {
  if (error instanceof EngineRequestError) return error.failure;
  return { reason: 'internal', message: String(error), secureContext: isSecureContext };
}

/** Starts the engine worker (replacing any previous one) and asks it for a device. */
export async function connectEngine(): Promise<void> {
  client?.dispose();
  const store = useStudio.getState();
  store.deviceProbing();
  let current: EngineClient;
  try {
    current = new EngineClient({
      deviceLost: (loss) => useStudio.getState().deviceLost(loss),
      workerFailed: (failure) => {
        console.error(`webtune engine worker failed: ${failure.message}`);
        useStudio.getState().deviceUnavailable(failure);
      },
    });
  } catch (error) {
    // Workers can be refused outright (e.g. by a content-security policy); say so rather than spin forever.
    store.deviceUnavailable({ reason: 'worker-failed', message: String(error), secureContext: isSecureContext });
    return;
  }
  client = current;
  try {
    const report = await current.probe();
    if (client === current) useStudio.getState().deviceReady(report);
  } catch (error) {
    if (client === current) useStudio.getState().deviceUnavailable(failureOf(error));
  }
}
