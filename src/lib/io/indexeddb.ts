// One IndexedDB object store as a small key-value store, for the browser's dataset cache
// (data/cache-indexeddb.ts) and saved runs (train/run-store-indexeddb.ts). Uses only the
// indexedDB global; Node code never imports this file.

export interface IndexedDbStore {
  get(key: string): Promise<unknown>;
  /** Resolves when the write is committed, not merely queued: a reload right after finds it. */
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted (storage full?)"));
  });
}

/**
 * Opens (creating if needed) object store `storeName` of database `dbName` at version 1.
 * `instead` says what to use where there is no IndexedDB (it ends the error message).
 */
export async function openIndexedDbStore(dbName: string, storeName: string, instead: string): Promise<IndexedDbStore> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new Error(`IndexedDB is not available here: ${instead}`);
  const open = idb.open(dbName, 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(storeName)) open.result.createObjectStore(storeName);
  };
  const db = await request(open);
  // Another tab upgrading the database: let it, this page reopens on its next load.
  db.onversionchange = () => db.close();
  const write = async (fn: (store: IDBObjectStore) => void) => {
    const tx = db.transaction(storeName, "readwrite");
    fn(tx.objectStore(storeName));
    await committed(tx);
  };
  return {
    get: (key) => request(db.transaction(storeName, "readonly").objectStore(storeName).get(key)),
    put: (key, value) => write((s) => s.put(value, key)),
    delete: (key) => write((s) => s.delete(key)),
  };
}
