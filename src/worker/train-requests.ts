/**
 * The engine worker's handler for 'train-' messages (see domains.ts). A run takes the GPU queue (services.exclusive)
 * so it never overlaps a model load or a generation; pause/stop act at once, between steps; inspecting a base
 * reads only its header.
 */
import type { DomainHandler } from './domains';
import { OpfsRunStorage } from '../train/storage-opfs';
import { controlRun, inspectTrainModel, runTraining } from './train-run';

export const trainDomain: DomainHandler = {
  prefix: 'train-',
  async handle(message, services) {
    switch (message.kind) {
      case 'train-start':
        return services.exclusive(() => runTraining(message, services));
      case 'train-control':
        controlRun(message);
        return;
      case 'train-inspect':
        try {
          services.post({ kind: 'train-inspected', id: message.id, result: { ok: true, info: await inspectTrainModel(message.model) } });
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          services.post({ kind: 'train-inspected', id: message.id, result: { ok: false, message: text } });
        }
        return;
      case 'train-delete-files':
        await OpfsRunStorage.remove(message.runId).catch(() => undefined);
        services.post({ kind: 'train-files-deleted', id: message.id });
        return;
      default:
        return;
    }
  },
};
