/**
 * The messages between the studio (main thread) and the engine worker. Every kind carries its own payload type,
 * so both sides narrow on `kind` and never cast. Everything here is structured-clone safe: plain data only.
 */
import type { AdapterReport } from '../gpu/device';

/**
 * Why the engine has no device: the first three come from `acquireDevice`; 'worker-failed' means the worker
 * itself could not start or crashed; 'internal' is any other error inside the engine.
 */
export type UnavailableReason = 'no-webgpu' | 'no-adapter' | 'device-failed' | 'worker-failed' | 'internal';

export interface EngineFailure {
  reason: UnavailableReason;
  message: string;
  /** WebGPU exists only in secure contexts (https, localhost), the most common cause of a missing navigator.gpu. */
  secureContext: boolean;
}

/** A device that worked and then went away (driver reset, GPU process crash, out of memory). */
export interface DeviceLoss {
  reason: 'unknown' | 'destroyed';
  message: string;
}

// Main thread → worker.

/** Acquire the device if not yet done, and answer with what was granted. */
export interface ProbeRequest {
  kind: 'probe';
  id: number;
}

export type ToEngine = ProbeRequest;

// Worker → main thread: replies carry the id of their request; events have none.

export interface ProbeReply {
  kind: 'probe-result';
  id: number;
  report: AdapterReport;
}

export interface RequestFailed {
  kind: 'request-failed';
  id: number;
  failure: EngineFailure;
}

export interface DeviceLostEvent {
  kind: 'device-lost';
  loss: DeviceLoss;
}

export type EngineReply = ProbeReply | RequestFailed;
export type FromEngine = EngineReply | DeviceLostEvent;
