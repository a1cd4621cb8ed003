/** A run's figures: tokens made, decode and prefill speed, time, and why it stopped. */
import type { StopReason } from '../../../worker/protocol';
import { formatCount } from '../../format';
import type { GenerationState } from '../../stores/playgroundSlice';
import { FactList } from '../FactList';

const STOP_REASONS: Record<StopReason, string> = {
  eos: 'end of text',
  'stop-string': 'stop string',
  'max-tokens': 'max tokens reached',
  context: 'context full',
  aborted: 'stopped by you',
};

function speed(tokensPerSecond: number | null): string {
  return tokensPerSecond === null ? '—' : `${tokensPerSecond.toFixed(1)} tok/s`;
}

function stats(generation: Exclude<GenerationState, { status: 'idle' }>): [string, string][] {
  const max = formatCount(generation.input.maxTokens);
  switch (generation.status) {
    case 'running':
      return [
        ['Tokens', `${formatCount(generation.progress.tokens)} / ${max}`],
        ['Decode', speed(generation.progress.tokensPerSecond)],
      ];
    case 'failed':
      // The engine reports no figures for a run that failed; its text so far is shown above.
      return [];
    case 'done': {
      const o = generation.outcome;
      return [
        ['Tokens', `${formatCount(o.tokens)} / ${max}`],
        ['Decode', speed(o.decodeTokensPerSecond)],
        ['Prefill', `${speed(o.prefillTokensPerSecond)} (${formatCount(o.promptTokens)} prompt tokens)`],
        ['Time', `${(o.milliseconds / 1000).toFixed(2)} s`],
        ['Stop reason', STOP_REASONS[o.stopReason]],
      ];
    }
  }
}

export function GenerationStats({ generation }: { generation: Exclude<GenerationState, { status: 'idle' }> }) {
  const rows = stats(generation);
  if (rows.length === 0) return null;
  return <FactList facts={rows} className="run-stats" label="Run figures" />;
}
