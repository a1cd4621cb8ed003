/**
 * Token lengths of every example (before truncation), binned, with the bins past the sequence length marked, and
 * the same figures as a table for screen readers.
 */
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { HistogramBin } from '../../../worker/dataset-protocol';
import { formatCount } from '../../format';

interface Props {
  bins: HistogramBin[];
  seqLen: number;
  overLength: number;
  examples: number;
}

export function LengthHistogram({ bins, seqLen, overLength, examples }: Props) {
  const data = bins.map((bin) => ({ ...bin, label: `${bin.from}–${bin.to - 1}`, over: bin.to - 1 > seqLen }));
  return (
    <section className="panel length-histogram" aria-labelledby="length-histogram-title">
      <div className="panel-head">
        <h3 id="length-histogram-title">Token lengths</h3>
        <span className={`status ${overLength ? 'status-over' : 'status-fits'}`} data-testid="over-length">
          {overLength === 0
            ? `All fit in ${formatCount(seqLen)} tokens`
            : `${formatCount(overLength)} of ${formatCount(examples)} longer than ${formatCount(seqLen)} tokens`}
        </span>
      </div>
      <figure className="histogram-figure" aria-label={`Histogram of token lengths over ${formatCount(examples)} examples`}>
        <div className="histogram-chart" aria-hidden="true">
          <ResponsiveContainer width="100%" height={170}>
            <BarChart data={data} margin={{ top: 6, right: 8, bottom: 0, left: -12 }}>
              <CartesianGrid vertical={false} strokeDasharray="3 3" style={{ stroke: 'var(--border)' }} />
              <XAxis dataKey="label" tick={{ fontSize: 11, fill: 'var(--muted)' }} interval="preserveStartEnd" />
              <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: 'var(--muted)' }} />
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
          </ResponsiveContainer>
        </div>
        <figcaption className="muted histogram-caption">
          Examples per token length. Bars past the sequence length ({formatCount(seqLen)}) are amber; those examples are
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
