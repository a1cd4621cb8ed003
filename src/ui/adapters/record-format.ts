/** How the library table shows a record's facts. */
import type { AdapterRecord } from '../../library/adapter-library';

/** Validation loss to four significant digits, or a dash for imports and runs without validation. */
export function formatValLoss(loss: number | null): string {
  if (loss === null || !Number.isFinite(loss)) return '—';
  return loss.toPrecision(4);
}

/** "2026-11-27 16:05" in the user's time zone: sortable, unambiguous, short. */
export function formatCreated(time: number): string {
  const d = new Date(time);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** "8 (α 16)": the rank, with the alpha that sets the adapter's scale beside it; a dash for IA³, which has none. */
export function formatRank(record: Pick<AdapterRecord, 'rank' | 'alpha' | 'method'>): string {
  // IA³ and prompt tuning have no rank (their records hold 0).
  if (record.method.startsWith('IA³') || record.method.startsWith('Prompt tuning')) return '—';
  return `${record.rank} (α ${record.alpha})`;
}

export function formatDataset(record: Pick<AdapterRecord, 'dataset' | 'source'>): string {
  return record.dataset ?? (record.source === 'imported' ? 'imported' : '—');
}
