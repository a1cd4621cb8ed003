/**
 * The history of comparisons: what was asked (prompt, settings, base, adapters), what each column wrote and how
 * fast, and the evaluation table, kept in IndexedDB on this machine only. Records are parsed when read back, so a
 * record from an older studio that lacks a field is skipped rather than shown half-broken.
 */
import type { GenerateSettings, StopReason } from '../worker/protocol';
import { recordStore } from './record-store';

export interface HistoryColumn {
  label: string;
  /** null: the base alone. */
  adapterId: string | null;
  text: string;
  tokens: number;
  /** Decode speed; null when the column made fewer than two tokens. */
  tokensPerSecond: number | null;
  stopReason: StopReason | null;
  /** Why the column has no text, when it failed. */
  problem: string | null;
}

export interface HistoryEvaluation {
  dataset: string;
  examples: number;
  seqLen: number;
  /** One per column, same order as the record's columns. */
  rows: { label: string; meanLoss: number; perplexity: number; trainedTokens: number }[];
}

export interface ComparisonRecord {
  id: string;
  createdAt: number;
  /** The base model's name as the studio showed it. */
  model: string;
  settings: GenerateSettings;
  columns: HistoryColumn[];
  evaluation: HistoryEvaluation | null;
}

/** Where records live: IndexedDB in the studio; a Map in unit tests (Node has no IndexedDB). */
export interface HistoryBackend {
  put(record: ComparisonRecord): Promise<void>;
  get(id: string): Promise<unknown>;
  getAll(): Promise<unknown[]>;
  delete(id: string): Promise<void>;
}

function indexedDbBackend(): HistoryBackend {
  return recordStore<ComparisonRecord>('webtune-compare', 'comparisons');
}

export function newComparisonId(): string {
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumberOrNull = (v: unknown) => v === null || typeof v === 'number';
const isStringOrNull = (v: unknown) => v === null || typeof v === 'string';

function isColumn(v: unknown): v is HistoryColumn {
  return (
    isObject(v) &&
    typeof v.label === 'string' &&
    isStringOrNull(v.adapterId) &&
    typeof v.text === 'string' &&
    typeof v.tokens === 'number' &&
    isNumberOrNull(v.tokensPerSecond) &&
    isStringOrNull(v.stopReason) &&
    isStringOrNull(v.problem)
  );
}

function isEvaluation(v: unknown): v is HistoryEvaluation {
  return (
    isObject(v) &&
    typeof v.dataset === 'string' &&
    typeof v.examples === 'number' &&
    typeof v.seqLen === 'number' &&
    Array.isArray(v.rows) &&
    v.rows.every((r) => isObject(r) && typeof r.label === 'string' && typeof r.meanLoss === 'number' && typeof r.perplexity === 'number')
  );
}

/** A stored value as a record, or null when it is not one this studio can show. */
export function parseComparisonRecord(value: unknown): ComparisonRecord | null {
  if (!isObject(value)) return null;
  const { id, createdAt, model, settings, columns, evaluation } = value;
  if (typeof id !== 'string' || typeof createdAt !== 'number' || typeof model !== 'string') return null;
  if (!isObject(settings) || typeof settings.prompt !== 'string' || !isObject(settings.sampling)) return null;
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every(isColumn)) return null;
  if (evaluation !== null && !isEvaluation(evaluation)) return null;
  return value as unknown as ComparisonRecord;
}

export class CompareHistory {
  constructor(private readonly backend: HistoryBackend = indexedDbBackend()) {}

  /** Adds the record, or replaces the one with its id (an evaluation added to a comparison). */
  async save(record: ComparisonRecord): Promise<void> {
    if (!parseComparisonRecord(record)) throw new TypeError(`comparison ${record.id} is incomplete and was not saved`);
    await this.backend.put(record);
  }

  /** Every readable record, newest first. */
  async list(): Promise<ComparisonRecord[]> {
    const all = (await this.backend.getAll()).map(parseComparisonRecord).filter((r): r is ComparisonRecord => r !== null);
    return all.sort((a, b) => b.createdAt - a.createdAt);
  }

  async get(id: string): Promise<ComparisonRecord | null> {
    return parseComparisonRecord(await this.backend.get(id));
  }

  async delete(id: string): Promise<void> {
    await this.backend.delete(id);
  }
}
