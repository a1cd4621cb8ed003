import { useStudio } from '../stores/studio';
import type { DeviceStatus } from '../stores/deviceSlice';
import { AdapterDetails } from './AdapterDetails';
import { DeviceProblem } from './DeviceProblem';

const STATUS_TEXT: Record<DeviceStatus, string> = {
  probing: 'Connecting',
  ready: 'Ready',
  unavailable: 'Unavailable',
  lost: 'Lost',
};

/** What WebGPU device the engine got, or why it got none. */
export function AdapterPanel() {
  const device = useStudio((state) => state.device);
  return (
    <section className="panel" aria-labelledby="adapter-title" aria-busy={device.status === 'probing'}>
      <div className="panel-head">
        <h3 id="adapter-title">Adapter</h3>
        <span className={`status status-${device.status}`} role="status">
          {STATUS_TEXT[device.status]}
        </span>
      </div>
      {device.status === 'probing' && (
        <p className="muted">Asking the browser for a GPU from the engine worker…</p>
      )}
      {device.status === 'ready' && <AdapterDetails report={device.report} />}
      {device.status === 'unavailable' && <DeviceProblem problem={{ kind: 'unavailable', failure: device.failure }} />}
      {device.status === 'lost' && <DeviceProblem problem={{ kind: 'lost', loss: device.loss }} />}
    </section>
  );
}
