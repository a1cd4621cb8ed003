/**
 * What a training session tells its front end while it starts (its memory plan, what it did to the data), as data: the CLI says it with its
 * flags, the studio with its form's labels (each passes its SettingWords), so no front end's wording reaches the
 * other's.
 */
import { type MemoryPlan, planReasonText, planText } from './memory-plan';
import type { SettingWords } from './setting-words';

export type SessionNotice =
  /** Examples longer than the sequence length, cut to it. */
  | { kind: 'truncated'; count: number; seqLen: number }
  /** Examples left with no trained token (every label masked), left out of the run. */
  | { kind: 'dropped'; count: number }
  /** The memory plan the run trains with (memory-plan.ts). */
  | { kind: 'memory-plan'; plan: MemoryPlan };

export function sessionNoticeText(notice: SessionNotice, words: SettingWords): string {
  switch (notice.kind) {
    case 'truncated':
      return `${notice.count} example(s) were longer than ${words.name('seqLen')} ${notice.seqLen} and were truncated`;
    case 'dropped':
      return `${notice.count} example(s) had no trained token and were left out`;
    case 'memory-plan':
      return `memory plan: ${planText(notice.plan)}${notice.plan.changed ? `. ${planReasonText(notice.plan)}` : ''}`;
  }
}
