// Browser cache of generated datasets in IndexedDB (one object store, values
// are the serialised bytes). Uses only the indexedDB global; Node code never
// imports this file (use cache-node.ts there).
import { openIndexedDbStore } from "../io/indexeddb.js";
import type { DatasetCache } from "./cache.js";

/** Opens (creating if needed) a dataset cache in IndexedDB database `dbName`. */
export async function indexedDbDatasetCache(dbName = "maskau", storeName = "datasets"): Promise<DatasetCache> {
  const store = await openIndexedDbStore(dbName, storeName, "in Node use nodeDatasetCache from cache-node.ts");
  return {
    async get(key) {
      const v = (await store.get(key)) as ArrayBuffer | Uint8Array | undefined;
      if (v === undefined) return undefined;
      return v instanceof Uint8Array ? v : new Uint8Array(v);
    },
    async put(key, bytes) {
      // Store a plain ArrayBuffer holding exactly these bytes. `new Uint8Array(bytes)` always
      // copies into a buffer of its own; `bytes.slice().buffer` would not for a Node Buffer or
      // another subclass whose slice() returns a view of a larger buffer.
      await store.put(key, new Uint8Array(bytes).buffer);
    },
    delete: (key) => store.delete(key),
  };
}
