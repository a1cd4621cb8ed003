/**
 * The training progress line on stderr: redrawn in place on a terminal; on a pipe or a log file, one line per
 * validation and about twenty in all, so logs stay readable.
 */
import type { DataProgress } from '../data/stream/streamed-dataset';
import { formatBadRow } from '../data/types';
import type { ProgressEvent } from '../train/metrics';
import { formatBytes } from '../train/memory-estimate';
import { formatDuration } from './args';

/** The data pipeline's part of the line: rows read (share of the file) and its own tokens per second. */
export function dataProgressText(d: DataProgress): string {
  const share = d.fraction < 1 ? ` (${Math.floor(d.fraction * 100)}% of the file)` : '';
  return `data: epoch ${d.epoch + 1}, ${d.rowsRead.toLocaleString('en-US')} rows read${share}, ${d.rowsTokenized.toLocaleString('en-US')} tokenized, ${compact(d.tokensPerSecond)} tok/s`;
}

function compact(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n.toFixed(0);
}

export function progressLine(e: ProgressEvent, data?: DataProgress): string {
  const width = 24;
  const filled = Math.round((width * e.step) / e.totalSteps);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const parts = [
    `${bar} ${e.step}/${e.totalSteps}`,
    `loss ${e.loss.toFixed(4)}`,
    `lr ${e.learningRate.toExponential(2)}`,
    `gnorm ${e.gradNorm.toFixed(3)}`,
    `${e.tokensPerSecond.toFixed(0)} tok/s`,
    `ETA ${e.etaEstimated ? '~' : ''}${formatDuration(e.etaSeconds)}${e.etaEstimated ? ' (estimated)' : ''}`,
  ];
  if (e.peakBytes !== null) parts.push(`peak ${formatBytes(e.peakBytes)}`);
  if (data) parts.push(dataProgressText(data));
  return parts.join('  ');
}

/** Bad rows listed one by one on stderr before the rest are only counted. */
const LISTED_BAD_ROWS = 20;

export class ProgressReporter {
  private lastLogged = 0;
  private latestData: DataProgress | undefined;
  private listedBadRows = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {}

  update(e: ProgressEvent): void {
    if (!this.enabled) return;
    const line = progressLine(e, this.latestData);
    const tty = this.stream.isTTY;
    if (tty) this.stream.write(`\r\x1b[2K${line}`);
    else if (e.step === e.totalSteps || e.step - this.lastLogged >= Math.max(1, Math.ceil(e.totalSteps / 20))) {
      this.stream.write(`${line}\n`);
      this.lastLogged = e.step;
    }
    if (e.validation) {
      const v = e.validation;
      this.stream.write(`${tty ? '\n' : ''}step ${v.step}: validation loss ${v.loss.toFixed(4)}, perplexity ${v.perplexity.toFixed(2)}\n`);
    }
  }

  /** The data pipeline's progress: shown on the next step's line; bad rows it met are listed with their lines. */
  data(d: DataProgress): void {
    this.latestData = d;
    for (const bad of d.newBadRows) {
      this.listedBadRows++;
      if (this.listedBadRows <= LISTED_BAD_ROWS) this.stream.write(`${this.stream.isTTY ? '\r\x1b[2K' : ''}webtune: skipped bad row, ${formatBadRow(bad)}\n`);
      else if (this.listedBadRows === LISTED_BAD_ROWS + 1) this.stream.write('webtune: more bad rows are skipped; only their count is shown from now on\n');
    }
  }

  end(): void {
    if (this.enabled && this.stream.isTTY) this.stream.write('\n');
  }
}
