import type { AdapterReport } from '../../gpu/device';
import { OPTIONAL_FEATURES } from '../../gpu/device';
import { formatBytes, formatCount } from '../format';
import { FactList } from './FactList';

type LimitName = keyof AdapterReport['limits'];

/** Limits in display order, each with what it means for training. Byte-sized limits are shown in binary units. */
const LIMITS: { name: LimitName; meaning: string; bytes?: boolean }[] = [
  { name: 'maxStorageBufferBindingSize', meaning: 'Largest tensor one kernel can bind', bytes: true },
  { name: 'maxBufferSize', meaning: 'Largest single buffer', bytes: true },
  { name: 'maxComputeWorkgroupStorageSize', meaning: 'Shared memory per workgroup', bytes: true },
  { name: 'maxComputeInvocationsPerWorkgroup', meaning: 'Threads per workgroup' },
  { name: 'maxComputeWorkgroupSizeX', meaning: 'Workgroup width' },
  { name: 'maxComputeWorkgroupSizeY', meaning: 'Workgroup height' },
  { name: 'maxComputeWorkgroupSizeZ', meaning: 'Workgroup depth' },
  { name: 'maxComputeWorkgroupsPerDimension', meaning: 'Workgroups per dispatch dimension' },
  { name: 'maxStorageBuffersPerShaderStage', meaning: 'Storage buffers per kernel' },
  { name: 'maxUniformBuffersPerShaderStage', meaning: 'Uniform buffers per kernel' },
  { name: 'maxBindGroups', meaning: 'Bind groups per pipeline' },
  { name: 'minUniformBufferOffsetAlignment', meaning: 'Uniform offset alignment', bytes: true },
];

const FEATURE_USE: Record<(typeof OPTIONAL_FEATURES)[number], string> = {
  'shader-f16': 'half-precision kernels',
  subgroups: 'faster reductions',
  'timestamp-query': 'per-kernel timings',
};

function orDash(text: string): string {
  return text.trim() === '' ? '—' : text;
}

export function AdapterDetails({ report }: { report: AdapterReport }) {
  const identity: [string, string][] = [
    ['Vendor', orDash(report.vendor)],
    ['Architecture', orDash(report.architecture)],
    ['Device', orDash(report.device)],
    ['Description', orDash(report.description)],
    ['Fallback adapter', report.isFallbackAdapter ? 'Yes' : 'No'],
  ];
  return (
    <div className="adapter">
      {report.notice && (
        <p className="notice" role="note">
          {report.notice}
        </p>
      )}
      <div className="adapter-grid">
        <div>
          <h4>Identity</h4>
          <FactList facts={identity} className="facts" />
          <h4 id="optional-features-title">Optional features</h4>
          <ul className="feature-list" aria-labelledby="optional-features-title">
            {OPTIONAL_FEATURES.map((feature) => {
              const granted = report.features.includes(feature);
              return (
                <li key={feature} className={granted ? 'granted' : 'missing'}>
                  <span className="mark" aria-hidden="true">
                    {granted ? '✓' : '–'}
                  </span>
                  <code>{feature}</code>
                  <span className="muted">
                    {granted ? 'granted' : 'not offered'} · {FEATURE_USE[feature]}
                  </span>
                </li>
              );
            })}
          </ul>
          <h4 id="adapter-features-title">
            Adapter features <span className="muted">({report.adapterFeatures.length})</span>
          </h4>
          {report.adapterFeatures.length === 0 ? (
            <p className="muted">The adapter offers no optional features.</p>
          ) : (
            <ul className="chips" aria-labelledby="adapter-features-title">
              {report.adapterFeatures.map((feature) => (
                <li key={feature}>
                  <code>{feature}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h4 id="limits-title">Limits</h4>
          <table className="limits" aria-labelledby="limits-title">
            <thead>
              <tr>
                <th scope="col">Limit</th>
                <th scope="col" className="num">
                  Value
                </th>
              </tr>
            </thead>
            <tbody>
              {LIMITS.map(({ name, meaning, bytes }) => {
                const value = report.limits[name];
                return (
                  <tr key={name}>
                    <th scope="row">
                      <code>{name}</code>
                      <span className="muted">{meaning}</span>
                    </th>
                    <td className="num" title={`${formatCount(value)}${bytes ? ' bytes' : ''}`}>
                      {bytes ? formatBytes(value) : formatCount(value)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
