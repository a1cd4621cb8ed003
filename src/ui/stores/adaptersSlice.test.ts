/** The adapters slice's transitions, on a store of that slice alone. */
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import type { AdapterRecord } from '../../library/adapter-library';
import { type AdaptersSlice, createAdaptersSlice } from './adaptersSlice';

function record(id: string, name: string, createdAt: number): AdapterRecord {
  return {
    id,
    name,
    baseModel: 'stories260K',
    method: 'LoRA',
    rank: 8,
    alpha: 16,
    targets: ['q', 'v'],
    dataset: 'moon.jsonl',
    valLoss: 2.5,
    createdAt,
    source: 'trained',
    bytes: 1000,
  };
}

const store = () => createStore<AdaptersSlice>()((...args) => createAdaptersSlice(...args));
const names = (s: AdaptersSlice) => (s.adapterListing.status === 'ready' ? s.adapterListing.records.map((r) => r.name) : null);

describe('adapters slice', () => {
  it('puts a new import first and reports it done', () => {
    const s = store();
    s.getState().adaptersListed([record('a', 'old', 1)]);
    s.getState().adapterImportStarted('new.zip');
    expect(s.getState().adapterImport).toEqual({ status: 'importing', label: 'new.zip' });
    s.getState().adapterImported(record('b', 'new', 2));
    expect(names(s.getState())).toEqual(['new', 'old']);
    expect(s.getState().adapterImport).toEqual({ status: 'done', name: 'new' });
  });

  it('keeps a row’s problem until its next action, and clears it on success', () => {
    const s = store();
    s.getState().adaptersListed([record('a', 'moon', 1)]);
    s.getState().adapterTaskStarted('a', 'gguf');
    expect(s.getState().adapterRows.a).toEqual({ busy: 'gguf', problem: null, notice: null });
    s.getState().adapterTaskFailed('a', { title: 'GGUF export failed', message: 'no architecture' });
    expect(s.getState().adapterRows.a).toEqual({ busy: null, problem: { title: 'GGUF export failed', message: 'no architecture' }, notice: null });
    s.getState().adapterTaskStarted('a', 'peft');
    s.getState().adapterTaskDone('a');
    expect(s.getState().adapterRows.a).toEqual({ busy: null, problem: null, notice: null });
  });

  it('renames in place and forgets a deleted adapter, row state included', () => {
    const s = store();
    s.getState().adaptersListed([record('a', 'moon', 2), record('b', 'sun', 1)]);
    s.getState().adapterRenamed({ ...record('a', 'moon v2', 2) });
    expect(names(s.getState())).toEqual(['moon v2', 'sun']);
    s.getState().adapterTaskStarted('b', 'delete');
    s.getState().adapterDeleted('b');
    // The delete task's own completion arrives after the row is gone and must not bring it back.
    s.getState().adapterTaskDone('b');
    expect(names(s.getState())).toEqual(['moon v2']);
    expect('b' in s.getState().adapterRows).toBe(false);
  });
});
