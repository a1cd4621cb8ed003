/**
 * The compression table: every GGUF export of the base (F32, F16, Q8_0, Q4_0, Q4_K) and of the base with one
 * column's adapter merged, side by side — file size, ratio to the 16-bit file, decode tokens/s on this device,
 * FLOPs per token, validation loss and perplexity on the evaluation's dataset and settings. Each row is the
 * exported file read back and measured; nothing is downloaded or stored.
 */
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { CompressionRow } from '../../../export/compression';
import { formatLabel } from '../../../export/formats';
import { cancelCompression, startCompression } from '../../compare/compare-bridge';
import { columnsOf } from '../../compare/compare-form';
import { useStudio } from '../../stores/studio';
import { ProblemMessage } from '../playground/ProblemMessage';
import { formatLoss, formatPerplexity } from './compare-format';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

function flops(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`;
}

function CompressionTable({ rows, caption, label }: { rows: readonly CompressionRow[]; caption: string; label: string }) {
  return (
    <table className="compare-eval-table compare-compression-table" data-testid="compression-table">
      <caption className="muted">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Variant</th>
          <th scope="col">File size</th>
          <th scope="col">vs 16-bit</th>
          <th scope="col">Tokens/s</th>
          <th scope="col">FLOPs/token</th>
          <th scope="col">Validation loss</th>
          <th scope="col">Perplexity</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.merged}-${r.type}`} title={r.notes.join('\n') || undefined}>
            <th scope="row">
              {r.merged ? `${label}, merged` : 'Base'} · {formatLabel({ kind: 'gguf', type: r.type })}
              {r.notes.length > 0 && ' *'}
            </th>
            <td>{mib(r.bytes)}</td>
            <td>{r.ratio ? `${r.ratio.toFixed(2)}×` : '…'}</td>
            <td>{r.tokensPerSecond.toFixed(1)}</td>
            <td>{flops(r.flopsPerToken)}</td>
            <td data-testid="compression-loss">{formatLoss(r.meanLoss)}</td>
            <td>{formatPerplexity(r.perplexity)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CompareCompression() {
  const { compression, modelName, selected, library, modelReady } = useStudio(
    useShallow((s) => ({
      compression: s.compareCompress,
      modelName: s.model.status === 'ready' ? s.model.summary.name : null,
      selected: s.compareSelected,
      library: s.compareLibrary,
      modelReady: s.model.status === 'ready',
    })),
  );
  const columns = modelName ? columnsOf(modelName, selected, library.status === 'ready' ? library.adapters : []) : [];
  // The first chosen adapter by default: the table is about what merging it costs.
  const [picked, setPicked] = useState<number | null>(null);
  const index = picked !== null && picked < columns.length ? picked : Math.min(1, Math.max(0, columns.length - 1));
  const running = compression.status === 'running';
  return (
    <section className="panel" aria-labelledby="compare-compression-title" aria-busy={running}>
      <div className="panel-head">
        <h3 id="compare-compression-title">Compression</h3>
      </div>
      <p className="muted">
        Every GGUF export (F32, F16, Q8_0, Q4_0, Q4_K) of the base, and of the base with an adapter merged in, read back
        and measured on the Evaluation’s dataset and settings.
      </p>
      <div className="generate-actions">
        <label className="field-label" htmlFor="compare-compression-column">
          Merge
        </label>
        <select id="compare-compression-column" value={index} disabled={running || columns.length === 0} onChange={(e) => setPicked(Number(e.currentTarget.value))}>
          {columns.map((c, i) => (
            <option key={c.adapterId ?? 'base'} value={i}>
              {i === 0 ? 'nothing (the base alone)' : c.label}
            </option>
          ))}
        </select>
        <button type="button" className="button" aria-disabled={!modelReady || running} onClick={() => modelReady && !running && void startCompression(index)}>
          Measure variants
        </button>
        <button
          type="button"
          className="button secondary"
          aria-disabled={!running || (running && compression.cancelling)}
          onClick={() => running && !compression.cancelling && cancelCompression()}
        >
          {running && compression.cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <CompressionBody />
    </section>
  );
}

function CompressionBody() {
  const compression = useStudio((s) => s.compareCompress);
  switch (compression.status) {
    case 'idle':
      return <p className="empty-state">Press Measure variants for the table (each variant is exported, loaded and evaluated in turn).</p>;
    case 'cancelled':
      return <p className="empty-state">Cancelled before every variant was measured.</p>;
    case 'failed':
      return <ProblemMessage problem={compression.problem} id="compare-compression-problem" />;
    case 'running':
      return (
        <>
          <div className="compare-eval-progress">
            <progress max={compression.total || 1} value={compression.rows.length} aria-label="Compression progress" />
            <span className="muted">{compression.total ? `${compression.rows.length} of ${compression.total} variants` : 'Reading the dataset…'}</span>
          </div>
          <CompressionTable rows={compression.rows} caption="Measured so far" label={compression.label} />
        </>
      );
    case 'done': {
      const { summary } = compression;
      const fellBack = summary.rows.some((r) => r.notes.length > 0);
      return (
        <>
          <CompressionTable
            rows={summary.rows}
            label={summary.label}
            caption={`${summary.dataset}: ${summary.examples} validation examples. Ratio against the 16-bit file; tokens/s is greedy decoding on this device.`}
          />
          {fellBack && (
            <p className="muted run-note" data-testid="compression-note">
              * Some weights could not take the type: {[...new Set(summary.rows.flatMap((r) => r.notes))].join('; ')}.
            </p>
          )}
        </>
      );
    }
  }
}
