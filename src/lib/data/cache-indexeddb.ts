// Browser cache of generated datasets in IndexedDB (one object store, values
// are the serialised bytes). Uses only the indexedDB global; Node code never
// imports this file (use cache-node.ts there).
import type { DatasetCache } from "./cache.js";

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

/** Opens (creating if needed) a dataset cache in IndexedDB database `dbName`. */
export async function indexedDbDatasetCache(dbName = "maskau", storeName = "datasets"): Promise<DatasetCache> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new Error("IndexedDB is not available here: in Node use nodeDatasetCache from cache-node.ts");
  const open = idb.open(dbName, 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(storeName)) open.result.createObjectStore(storeName);
  };
  const db = await request(open);
  const store = (mode: IDBTransactionMode) => db.transaction(storeName, mode).objectStore(storeName);
  return {
    async get(key) {
      const v = (await request(store("readonly").get(key))) as ArrayBuffer | Uint8Array | undefined;
      if (v === undefined) return undefined;
      return v instanceof Uint8Array ? v : new Uint8Array(v);
    },
    async put(key, bytes) {
      // Store a plain ArrayBuffer holding exactly these bytes. `new Uint8Array(bytes)` always
      // copies into a buffer of its own; `bytes.slice().buffer` would not for a Node Buffer or
      // another subclass whose slice() returns a view of a larger buffer.
      await request(store("readwrite").put(new Uint8Array(bytes).buffer, key));
    },
    async delete(key) {
      await request(store("readwrite").delete(key));
    },
  };
}
