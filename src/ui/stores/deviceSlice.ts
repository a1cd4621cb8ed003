/** What the studio knows about the engine's GPU device. Plain data only: the device itself stays in the worker. */
import type { StateCreator } from 'zustand';
import type { AdapterReport } from '../../gpu/device';
import type { DeviceLoss, EngineFailure } from '../../worker/protocol';

export type DeviceState =
  | { status: 'probing' }
  | { status: 'ready'; report: AdapterReport }
  | { status: 'unavailable'; failure: EngineFailure }
  | { status: 'lost'; loss: DeviceLoss; report: AdapterReport | null };

export type DeviceStatus = DeviceState['status'];

export interface DeviceSlice {
  device: DeviceState;
  deviceProbing(): void;
  deviceReady(report: AdapterReport): void;
  deviceUnavailable(failure: EngineFailure): void;
  deviceLost(loss: DeviceLoss): void;
}

export const createDeviceSlice: StateCreator<DeviceSlice, [], [], DeviceSlice> = (set) => ({
  device: { status: 'probing' },
  deviceProbing: () => set({ device: { status: 'probing' } }),
  deviceReady: (report) => set({ device: { status: 'ready', report } }),
  deviceUnavailable: (failure) => set({ device: { status: 'unavailable', failure } }),
  deviceLost: (loss) =>
    set((state) => ({
      device: { status: 'lost', loss, report: state.device.status === 'ready' ? state.device.report : null },
    })),
});
