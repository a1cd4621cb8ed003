/**
 * The training progress line on stderr: redrawn in place on a terminal; on a pipe or a log file, one line per
 * validation and about twenty in all, so logs stay readable.
 */
import type { ProgressEvent } from '../train/metrics';
import { formatBytes } from '../train/memory-estimate';
import { formatDuration } from './args';

export function progressLine(e: ProgressEvent): string {
  const width = 24;
  const filled = Math.round((width * e.step) / e.totalSteps);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const parts = [
    `${bar} ${e.step}/${e.totalSteps}`,
    `loss ${e.loss.toFixed(4)}`,
    `lr ${e.learningRate.toExponential(2)}`,
    `gnorm ${e.gradNorm.toFixed(3)}`,
    `${e.tokensPerSecond.toFixed(0)} tok/s`,
    `ETA ${formatDuration(e.etaSeconds)}`,
  ];
  if (e.peakBytes !== null) parts.push(`peak ${formatBytes(e.peakBytes)}`);
  return parts.join('  ');
}

export class ProgressReporter {
  private lastLogged = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {}

  update(e: ProgressEvent): void {
    if (!this.enabled) return;
    const line = progressLine(e);
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

  end(): void {
    if (this.enabled && this.stream.isTTY) this.stream.write('\n');
  }
}
