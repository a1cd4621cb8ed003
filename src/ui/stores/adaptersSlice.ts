/**
 * The Adapters view: the library's records (plain data read from IndexedDB; the weights stay in OPFS), the import
 * in progress or its outcome, and per-adapter action state (an export running, an inline problem). Actions live in
 * src/ui/adapters/library-actions.ts, which is the one place that talks to the library and the engine for it.
 */
import type { StateCreator } from 'zustand';
import type { AdapterRecord } from '../../library/adapter-library';
import type { Listing } from './listing';
import type { ShownProblem } from './playgroundSlice';

export type AdapterListing = Listing<'records', AdapterRecord[]>;

export type AdapterImportState =
  | { status: 'idle' }
  | { status: 'importing'; label: string }
  | { status: 'done'; name: string }
  | { status: 'failed'; label: string; problem: ShownProblem };

/** What one adapter's row is doing: an export or a change in flight, which blocks its other actions. */
export type AdapterTask = 'peft' | 'gguf' | 'merged' | 'rename' | 'delete';

export interface AdapterRowState {
  busy: AdapterTask | null;
  /** The last action's problem, shown in the row until the next action. */
  problem: ShownProblem | null;
  /** What the last action wants the user to know though it succeeded (a merged export's fallbacks). */
  notice: string | null;
}

export const IDLE_ROW: AdapterRowState = { busy: null, problem: null, notice: null };

export interface AdaptersSlice {
  adapterListing: AdapterListing;
  adapterImport: AdapterImportState;
  adapterRows: Record<string, AdapterRowState>;
  adaptersListed(records: AdapterRecord[]): void;
  adaptersListFailed(problem: ShownProblem): void;
  adapterImportStarted(label: string): void;
  adapterImported(record: AdapterRecord): void;
  adapterImportFailed(label: string, problem: ShownProblem): void;
  adapterTaskStarted(id: string, task: AdapterTask): void;
  adapterTaskDone(id: string, notice?: string | null): void;
  adapterTaskFailed(id: string, problem: ShownProblem): void;
  adapterRenamed(record: AdapterRecord): void;
  adapterDeleted(id: string): void;
}

function withRow(rows: Record<string, AdapterRowState>, id: string, row: AdapterRowState): Record<string, AdapterRowState> {
  return { ...rows, [id]: row };
}

function replaceRecord(listing: AdapterListing, record: AdapterRecord): AdapterListing {
  if (listing.status !== 'ready') return listing;
  return { status: 'ready', records: listing.records.map((r) => (r.id === record.id ? record : r)) };
}

export const createAdaptersSlice: StateCreator<AdaptersSlice, [], [], AdaptersSlice> = (set) => ({
  adapterListing: { status: 'loading' },
  adapterImport: { status: 'idle' },
  adapterRows: {},
  adaptersListed: (records) => set({ adapterListing: { status: 'ready', records } }),
  adaptersListFailed: (problem) => set({ adapterListing: { status: 'failed', problem } }),
  adapterImportStarted: (label) => set({ adapterImport: { status: 'importing', label } }),
  adapterImported: (record) =>
    set((state) => ({
      adapterImport: { status: 'done', name: record.name },
      // Newest first, as listAdapters orders them.
      adapterListing:
        state.adapterListing.status === 'ready'
          ? { status: 'ready', records: [record, ...state.adapterListing.records.filter((r) => r.id !== record.id)] }
          : { status: 'ready', records: [record] },
    })),
  adapterImportFailed: (label, problem) => set({ adapterImport: { status: 'failed', label, problem } }),
  adapterTaskStarted: (id, task) => set((state) => ({ adapterRows: withRow(state.adapterRows, id, { busy: task, problem: null, notice: null }) })),
  // A deleted adapter's row is gone; its finished task must not bring it back.
  adapterTaskDone: (id, notice = null) =>
    set((state) => (id in state.adapterRows ? { adapterRows: withRow(state.adapterRows, id, { ...IDLE_ROW, notice }) } : {})),
  adapterTaskFailed: (id, problem) => set((state) => ({ adapterRows: withRow(state.adapterRows, id, { busy: null, problem, notice: null }) })),
  adapterRenamed: (record) =>
    set((state) => ({
      adapterListing: replaceRecord(state.adapterListing, record),
      adapterRows: withRow(state.adapterRows, record.id, IDLE_ROW),
    })),
  adapterDeleted: (id) =>
    set((state) => {
      const rows = { ...state.adapterRows };
      delete rows[id];
      const listing = state.adapterListing;
      return {
        adapterRows: rows,
        adapterListing: listing.status === 'ready' ? { status: 'ready', records: listing.records.filter((r) => r.id !== id) } : listing,
      };
    }),
});
