/**
 * A lost GPU device (driver reset, tab backgrounded too long, out of memory) makes pending GPU work never finish
 * or fail with an unrelated message. Racing every trainer call against `device.lost` turns it into one clear
 * error, which the loop reports with the last checkpoint and how to resume.
 */
import type { Trainable } from './trainable';

export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

export function guardDeviceLoss<T extends Trainable>(trainer: T, lost: Promise<GPUDeviceLostInfo>): Trainable {
  let lostInfo: GPUDeviceLostInfo | null = null;
  const onLost = lost.then((info) => {
    lostInfo = info;
    throw new DeviceLostError(`the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`);
  });
  onLost.catch(() => undefined); // observed by the races below; never an unhandled rejection
  const guard = async <R>(call: () => R | Promise<R>): Promise<R> => {
    if (lostInfo) await onLost;
    return Promise.race([Promise.resolve().then(call), onLost]);
  };
  return {
    accumulate: (batch, total) => guard(() => trainer.accumulate(batch, total)),
    step: (hp) => guard(() => trainer.step(hp)),
    evaluate: (batch) => guard(() => trainer.evaluate(batch)),
    exportState: () => guard(() => trainer.exportState()),
    importState: (state) => guard(() => trainer.importState(state)),
  };
}
