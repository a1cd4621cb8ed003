/**
 * Live charts of a run: training and validation loss, learning rate, gradient norm and tokens/s against the step.
 * Loaded lazily (recharts stays out of the first page load); at most MAX_SHOWN points per chart and no animation,
 * so a redraw at ten updates a second stays a short task.
 */
import { memo, startTransition, useEffect, useRef, useState } from 'react';
import { CartesianGrid, Line, LineChart, XAxis, YAxis } from 'recharts';
import type { RunPoint, RunValidationPoint } from '../../../library/run-history';

const MAX_SHOWN = 300;

interface Props {
  points: RunPoint[];
  validations: RunValidationPoint[];
}

interface LiveProps extends Props {
  /** The run shown. */
  runId: string | null;
  /** Whether it is training now: its charts then redraw only as its points arrive (see TrainCharts). */
  live: boolean;
}

/** Every k-th point (the last one always), so long runs draw as fast as short ones. */
function thinned<T>(points: readonly T[]): T[] {
  if (points.length <= MAX_SHOWN) return [...points];
  const every = Math.ceil(points.length / MAX_SHOWN);
  const out = points.filter((_, i) => i % every === 0);
  if (out.at(-1) !== points.at(-1)) out.push(points.at(-1)!);
  return out;
}

interface TickProps {
  x?: number | string;
  y?: number | string;
  payload?: { value: unknown };
}

/**
 * Tick labels as plain SVG text, every tick shown (interval 0): recharts' own labels measure each new string in the
 * DOM to thin them out, a forced layout per redraw. The charts also have no hover tooltip, for the same reason;
 * the figures are in the "Loss by step" table and the progress line.
 */
function tick(format: (n: number) => string, axis: 'x' | 'y') {
  return function AxisTick({ x = 0, y = 0, payload }: TickProps) {
    return (
      <text x={x} y={y} dy={axis === 'x' ? 12 : 4} textAnchor={axis === 'x' ? 'middle' : 'end'} fontSize={11} fill="var(--muted)">
        {typeof payload?.value === 'number' ? format(payload.value) : ''}
      </text>
    );
  };
}

const stepLabel = (n: number) => String(n);

const CHART_HEIGHT = 150;

function Chart({
  title,
  data,
  lines,
  format,
  hidden,
  width,
}: {
  title: string;
  data: Record<string, number | null>[];
  lines: { key: string; name: string; color: string }[];
  format: (n: number) => string;
  /** Placeholder data: lines drawn transparent, ticks hidden. */
  hidden: boolean;
  /** CSS pixels, measured once per resize for all charts (ResponsiveContainer would measure on every redraw). */
  width: number;
}) {
  return (
    <figure className="train-chart" aria-label={title}>
      <figcaption>
        {title}
        {hidden && <span className="muted"> (no points yet)</span>}
        {lines.length > 1 &&
          lines.map((l) => (
            <span key={l.key} className="train-legend">
              <span className="train-legend-swatch" style={{ background: l.color }} /> {l.name}
            </span>
          ))}
      </figcaption>
      {width > 0 && (
        <LineChart width={width} height={CHART_HEIGHT} data={data} margin={{ top: 4, right: 10, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" style={{ stroke: 'var(--border)' }} />
          <XAxis
            dataKey="step"
            type="number"
            domain={['dataMin', 'dataMax']}
            tick={hidden ? false : tick(stepLabel, 'x')}
            interval={0}
            tickCount={6}
            allowDecimals={false}
          />
          <YAxis tick={hidden ? false : tick(format, 'y')} interval={0} tickCount={5} width={52} domain={['auto', 'auto']} />
          {lines.map((l) => (
            <Line
              key={l.key}
              type="monotone"
              dataKey={l.key}
              name={l.name}
              stroke={hidden ? 'transparent' : l.color}
              dot={l.key === 'val' && !hidden ? { r: 3 } : false}
              strokeWidth={2}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      )}
    </figure>
  );
}

const short = (n: number) => (Math.abs(n) >= 1000 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(2));

type ChartId = 'loss' | 'lr' | 'norm' | 'tps';
const CHART_IDS: readonly ChartId[] = ['loss', 'lr', 'norm', 'tps'];

function chartData(id: ChartId, points: RunPoint[], validations: RunValidationPoint[]): Record<string, number | null>[] {
  const shown = thinned(points);
  switch (id) {
    case 'loss': {
      const byStep = new Map<number, Record<string, number | null>>();
      for (const p of shown) byStep.set(p.step, { step: p.step, loss: p.loss, val: null });
      for (const v of validations) {
        const row = byStep.get(v.step) ?? { step: v.step, loss: null, val: null };
        row.val = v.loss;
        byStep.set(v.step, row);
      }
      return [...byStep.values()].sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
    }
    case 'lr':
      return shown.map((p) => ({ step: p.step, lr: p.learningRate }));
    case 'norm':
      return shown.map((p) => ({ step: p.step, norm: p.gradNorm }));
    case 'tps':
      return shown.filter((p) => p.tokensPerSecond > 0).map((p) => ({ step: p.step, tps: p.tokensPerSecond }));
  }
}

const CHARTS: Record<ChartId, { title: string; format: (n: number) => string; lines: { key: string; name: string; color: string }[] }> = {
  loss: {
    title: 'Loss',
    format: short,
    lines: [
      { key: 'loss', name: 'Training', color: 'var(--accent)' },
      { key: 'val', name: 'Validation', color: 'var(--warn)' },
    ],
  },
  lr: { title: 'Learning rate', format: (n) => n.toExponential(1), lines: [{ key: 'lr', name: 'Learning rate', color: 'var(--ok)' }] },
  norm: { title: 'Gradient norm', format: short, lines: [{ key: 'norm', name: 'Gradient norm', color: 'var(--danger)' }] },
  tps: { title: 'Tokens per second', format: short, lines: [{ key: 'tps', name: 'Tokens/s', color: 'var(--muted)' }] },
};

/**
 * With no points yet, a chart draws an invisible two-point series: its lines, paths and axes then exist from the
 * start, so the first real points only update them. (Drawing recharts' lines for the first time is a long task.)
 */
function placeholder(id: ChartId): Record<string, number | null>[] {
  const keys = CHARTS[id].lines.map((l) => l.key);
  return [0, 1].map((step) => ({ step, ...Object.fromEntries(keys.map((k) => [k, step])) }));
}

const MemoChart = memo(function MemoChart({ id, points, validations, width }: ChartProps) {
  const spec = CHARTS[id];
  const data = chartData(id, points, validations);
  const empty = data.length === 0;
  return <Chart title={spec.title} data={empty ? placeholder(id) : data} format={spec.format} lines={spec.lines} hidden={empty} width={width} />;
}, sameChart);

type ChartProps = { id: ChartId; points: RunPoint[]; validations: RunValidationPoint[]; width: number };

/** Two empty snapshots draw the same placeholder: no redraw. */
function sameChart(a: ChartProps, b: ChartProps): boolean {
  if (a.id !== b.id || a.width !== b.width) return false;
  const emptyA = a.points.length === 0 && a.validations.length === 0;
  const emptyB = b.points.length === 0 && b.validations.length === 0;
  return (emptyA && emptyB) || (a.points === b.points && a.validations === b.validations);
}

/** Before a run, the charts first appear one per tick (mounting four at once is one long task). */
const MOUNT_TICK_MS = 250;

type Snapshot = { runId: string | null; points: RunPoint[]; validations: RunValidationPoint[] };

/**
 * The charts of a run that may be live. Each time new points arrive, one chart redraws with them: a chart still
 * showing another run first, else the next in turn. The redraw happens while the page handles the engine's
 * message, which on a CPU adapter the engine follows with a short pause of GPU work (see train-run.ts), so the page's main thread
 * has the CPU for it even on a CPU driver; no redraw is more than one chart's work.
 */
export function TrainCharts({ runId, points, validations, live }: LiveProps) {
  const [shown, setShown] = useState<Snapshot[]>(() => CHART_IDS.map(() => ({ runId, points, validations })));
  const [seen, setSeen] = useState<Snapshot>({ runId, points, validations });
  const [turn, setTurn] = useState(0);
  if (seen.runId !== runId || seen.points !== points || seen.validations !== validations) {
    // Derived state, adjusted during render (React's documented pattern): no extra task, no effect.
    const next = { runId, points, validations };
    const stale = shown.findIndex((x) => x.runId !== runId);
    const i = stale >= 0 ? stale : turn;
    setSeen(next);
    if (stale < 0) setTurn((i + 1) % CHART_IDS.length);
    setShown(shown.map((x, j) => (j === i ? next : x)));
  }
  // Not training (a run picked from the history, or one that just ended): the charts behind catch up, one a tick.
  const behind = shown.findIndex((x) => x.runId !== seen.runId || x.points !== seen.points || x.validations !== seen.validations);
  useEffect(() => {
    if (live || behind < 0) return;
    const timer = setTimeout(() => startTransition(() => setShown((old) => old.map((x, j) => (j === behind ? seen : x)))), MOUNT_TICK_MS);
    return () => clearTimeout(timer);
  }, [live, behind, seen]);
  const [mounted, setMounted] = useState(1);
  useEffect(() => {
    if (mounted >= CHART_IDS.length) return;
    const timer = setTimeout(() => startTransition(() => setMounted((m) => m + 1)), MOUNT_TICK_MS);
    return () => clearTimeout(timer);
  }, [mounted]);
  const grid = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = grid.current;
    if (!element) return;
    // Two charts a row: each gets half the grid, less half the column gap (1rem).
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(0, Math.floor((entry.contentRect.width - 16) / 2))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return (
    <div className="train-charts" data-testid="train-charts" data-points={points.length} data-drawn={behind < 0} ref={grid}>
      <LossTable points={points} validations={validations} />
      {CHART_IDS.map((id, i) => {
        if (i >= mounted) return <div key={id} className="train-chart train-chart-waiting" aria-hidden="true" />;
        const x = shown[i];
        // A run with no points yet keeps the placeholders (nothing to redraw); another run's curves are dimmed.
        const stale = x.runId !== runId && (x.points.length > 0 || x.validations.length > 0);
        return (
          <div key={id} className={stale ? 'train-chart-stale' : undefined}>
            <MemoChart id={id} points={x.points} validations={x.validations} width={width} />
          </div>
        );
      })}
    </div>
  );
}

/** The loss figures as a table for screen readers (and tests): every validation, and the training loss every tenth of the run. */
function LossTable({ points, validations }: Props) {
  const every = Math.max(1, Math.ceil(points.length / 10));
  const rows = new Map<number, { train: number | null; val: number | null }>();
  points.forEach((p, i) => {
    if (i % every === 0 || i === points.length - 1) rows.set(p.step, { train: p.loss, val: null });
  });
  for (const v of validations) rows.set(v.step, { train: rows.get(v.step)?.train ?? points.find((p) => p.step === v.step)?.loss ?? null, val: v.loss });
  const sorted = [...rows.entries()].sort((a, b) => a[0] - b[0]);
  return (
    <table className="visually-hidden" aria-label="Loss by step">
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Training loss</th>
          <th scope="col">Validation loss</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map(([step, r]) => (
          <tr key={step}>
            <td>{step}</td>
            <td>{r.train === null ? '' : r.train.toFixed(4)}</td>
            <td>{r.val === null ? '' : r.val.toFixed(4)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
