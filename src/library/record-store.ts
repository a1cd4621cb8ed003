/**
 * The IndexedDB database behind each of the studio's record lists (the adapter library, the run history, the
 * comparison history): one object store of records keyed by `id` and indexed by `createdAt`, opened on first use.
 * A failed open (storage blocked, private mode) is not kept, so the next call tries again.
 */
import { type IDBPDatabase, openDB } from 'idb';

export interface RecordStore<V> {
  put(record: V): Promise<void>;
  get(id: string): Promise<V | undefined>;
  /** Every record, oldest first. */
  getAll(): Promise<V[]>;
  delete(id: string): Promise<void>;
}

/**
 * `V` is what the caller stores; what comes back is typed as `V` on trust, as IndexedDB keeps no types (a caller
 * whose old records may differ parses them, as the comparison history does).
 */
export function recordStore<V extends { id: string; createdAt: number }>(dbName: string, storeName: string): RecordStore<V> {
  let db: Promise<IDBPDatabase> | null = null;
  const open = (): Promise<IDBPDatabase> => {
    if (db) return db;
    const opening = openDB(dbName, 1, {
      upgrade(d) {
        d.createObjectStore(storeName, { keyPath: 'id' }).createIndex('createdAt', 'createdAt');
      },
    });
    db = opening;
    opening.catch(() => {
      if (db === opening) db = null;
    });
    return opening;
  };
  return {
    put: async (record) => void (await (await open()).put(storeName, record)),
    get: async (id) => (await (await open()).get(storeName, id)) as V | undefined,
    getAll: async () => (await (await open()).getAllFromIndex(storeName, 'createdAt')) as V[],
    delete: async (id) => (await open()).delete(storeName, id),
  };
}
