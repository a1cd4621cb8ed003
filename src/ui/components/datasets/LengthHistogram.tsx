/**
 * Token lengths of every example (before truncation), or of a sample of them for a large file (said in the
 * caption and the over-length count), binned, with the bins past the sequence length marked, and the same figures
 * as a table for screen readers.
 */
import { startTransition, useEffect, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from 'recharts';
import type { DatasetSampling, HistogramBin } from '../../../worker/dataset-protocol';
import { formatCount } from '../../format';

const CHART_HEIGHT = 170;
/** At most this many bin labels under the bars, every k-th one, so they never overlap. */
const X_LABELS = 8;

interface TickProps {
  x?: number | string;
  y?: number | string;
  payload?: { value?: string | number };
}

/**
 * Axis labels as plain SVG text. Recharts' own tick text measures every word with getBoundingClientRect (for
 * wrapping), and each measure forces a layout of the page: that alone held the main thread past 100 ms when a
 * summary arrived.
 */
function tickOf(anchor: 'middle' | 'end', dx: number, dy: number) {
  return function Tick({ x, y, payload }: TickProps) {
    return (
      <text x={Number(x)} y={Number(y)} dx={dx} dy={dy} textAnchor={anchor} fontSize={11} style={{ fill: 'var(--muted)' }}>
        {payload?.value}
      </text>
    );
  };
}
const xTick = tickOf('middle', 0, 12);
const yTick = tickOf('end', -2, 4);

interface Props {
  bins: HistogramBin[];
  seqLen: number;
  overLength: number;
  examples: number;
  /** Set when the bins count a sample of the examples (and `overLength` is scaled to all of them). */
  sampling?: DatasetSampling | null;
}

function overLengthText(overLength: number, examples: number, seqLen: number, sampling: DatasetSampling | null): string {
  if (!sampling) {
    return overLength === 0
      ? `All fit in ${formatCount(seqLen)} tokens`
      : `${formatCount(overLength)} of ${formatCount(examples)} longer than ${formatCount(seqLen)} tokens`;
  }
  const from = `estimated from ${formatCount(sampling.examples)} sampled rows`;
  return overLength === 0
    ? `All sampled rows fit in ${formatCount(seqLen)} tokens (${from})`
    : `About ${formatCount(overLength)} of ${formatCount(examples)} longer than ${formatCount(seqLen)} tokens (${from})`;
}

export function LengthHistogram({ bins, seqLen, overLength, examples, sampling = null }: Props) {
  const counted = sampling ? sampling.examples : examples;
  // The chart mounts in a task of its own, once the box it goes in has been laid out, at the width a
  // ResizeObserver reports (after layout, so nothing forces one): mounted with the rest of the summary and sized by
  // measuring (as ResponsiveContainer does), it held the page past 100 ms when a large file's summary arrived.
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver((entries) => {
      const next = Math.floor(entries[0].contentRect.width);
      clearTimeout(timer);
      timer = setTimeout(() => startTransition(() => setWidth(next)), 0);
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, []);
  const data = bins.map((bin) => ({ ...bin, label: `${bin.from}–${bin.to - 1}`, over: bin.to - 1 > seqLen }));
  return (
    <section className="panel length-histogram" aria-labelledby="length-histogram-title">
      <div className="panel-head">
        <h3 id="length-histogram-title">Token lengths</h3>
        <span className={`status ${overLength ? 'status-over' : 'status-fits'}`} data-testid="over-length">
          {overLengthText(overLength, examples, seqLen, sampling)}
        </span>
      </div>
      <figure className="histogram-figure" aria-label={`Histogram of token lengths over ${formatCount(counted)} ${sampling ? 'sampled ' : ''}examples`}>
        <div className="histogram-chart" aria-hidden="true" style={{ height: CHART_HEIGHT }} ref={box}>
          {width > 0 && (
            <BarChart width={width} height={CHART_HEIGHT} data={data} margin={{ top: 6, right: 8, bottom: 0, left: -12 }}>
              <CartesianGrid vertical={false} strokeDasharray="3 3" style={{ stroke: 'var(--border)' }} />
              <XAxis dataKey="label" tick={xTick} interval={Math.max(0, Math.ceil(data.length / X_LABELS) - 1)} />
              <YAxis allowDecimals={false} tick={yTick} interval={0} />
              <Tooltip
                cursor={{ fill: 'var(--accent-soft)' }}
                contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }}
                formatter={(value) => [`${value} examples`, 'Count']}
                labelFormatter={(label) => `${label} tokens`}
              />
              <Bar dataKey="count" isAnimationActive={false}>
                {data.map((bin) => (
                  <Cell key={bin.from} style={{ fill: bin.over ? 'var(--warn)' : 'var(--accent)' }} />
                ))}
              </Bar>
            </BarChart>
          )}
        </div>
        <figcaption className="muted histogram-caption">
          {sampling
            ? `Sampled examples per token length (${formatCount(sampling.examples)} of ${formatCount(sampling.of)}). `
            : 'Examples per token length. '}
          Bars past the sequence length ({formatCount(seqLen)}) are amber; those examples are
          cut to fit.
        </figcaption>
        <table className="visually-hidden">
          <caption>Examples per token length</caption>
          <thead>
            <tr>
              <th scope="col">Tokens</th>
              <th scope="col">Examples</th>
            </tr>
          </thead>
          <tbody>
            {data.map((bin) => (
              <tr key={bin.from}>
                <th scope="row">
                  {bin.label}
                  {bin.over ? ' (over the sequence length)' : ''}
                </th>
                <td>{bin.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figure>
    </section>
  );
}
