/**
 * The engine worker's handlers of the training requests (TrainRequests in train-protocol.ts). A run takes the GPU
 * queue (services.exclusive) so it never overlaps a model load or a generation; pause/stop act at once, between
 * steps; inspecting a base reads only its header.
 */
import type { NoticeHandlers, RequestHandlers, WorkerServices } from './domains';
import { EngineError } from './engine-error';
import { OpfsRunStorage } from '../train/storage-opfs';
import type { TrainRequests } from './train-protocol';
import { handoffRun } from './train-handoff';
import { controlRun, inspectTrainModel, runTraining } from './train-run';

export function trainHandlers(services: WorkerServices): RequestHandlers<keyof TrainRequests> {
  return {
    'train-start': (request) => services.exclusive(() => runTraining(request, services)),
    'train-inspect': async (request) => {
      try {
        return await inspectTrainModel(request.model);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new EngineError({ domain: 'train', kind: 'model', message, checkpointStep: null });
      }
    },
    'train-handoff': (request) => handoffRun(request),
    'train-delete-files': async (request) => {
      await OpfsRunStorage.remove(request.runId).catch(() => undefined);
      return null;
    },
  };
}

export const trainNotices: Pick<NoticeHandlers, 'train-control'> = {
  'train-control': controlRun,
};
