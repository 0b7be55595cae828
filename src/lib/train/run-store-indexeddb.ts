// Saved training runs in the browser's IndexedDB (weights, optimizer state, step
// and history as checkpoint bytes, plus the run's settings), so a page reload does
// not lose a run. Uses only the indexedDB global; Node code never imports this
// file (tests use memoryRunStore from run-store.ts).
//
// A database of its own ("maskau-runs"): the dataset cache owns "maskau" at
// version 1, and adding a store there would need a version bump both sides agree on.
import type { RunStore } from "./run-store.js";

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted (storage full?)"));
  });
}

/** Opens (creating if needed) the run store `storeName` in database `dbName`. */
export async function indexedDbRunStore<T = unknown>(dbName = "maskau-runs", storeName = "runs"): Promise<RunStore<T>> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new Error("IndexedDB is not available here: use memoryRunStore from run-store.ts");
  const open = idb.open(dbName, 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(storeName)) open.result.createObjectStore(storeName);
  };
  const db = await request(open);
  // Another tab upgrading the database: let it, this page reopens on its next load.
  db.onversionchange = () => db.close();
  return {
    async get(key) {
      return (await request(db.transaction(storeName, "readonly").objectStore(storeName).get(key))) as T | undefined;
    },
    async put(key, value) {
      // Resolve when the write is committed, not merely queued: a reload right after
      // a pause must find the run.
      const tx = db.transaction(storeName, "readwrite");
      tx.objectStore(storeName).put(value, key);
      await done(tx);
    },
    async delete(key) {
      const tx = db.transaction(storeName, "readwrite");
      tx.objectStore(storeName).delete(key);
      await done(tx);
    },
  };
}
