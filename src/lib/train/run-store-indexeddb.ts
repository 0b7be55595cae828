// Saved training runs in the browser's IndexedDB (weights, optimizer state, step
// and history as checkpoint bytes, plus the run's settings), so a page reload does
// not lose a run. Uses only the indexedDB global; Node code never imports this
// file (tests use memoryRunStore from run-store.ts).
//
// A database of its own ("maskau-runs"): the dataset cache owns "maskau" at
// version 1, and adding a store there would need a version bump both sides agree on.
import { openIndexedDbStore } from "../io/indexeddb.js";
import type { RunStore } from "./run-store.js";

/** Opens (creating if needed) the run store `storeName` in database `dbName`. */
export async function indexedDbRunStore<T = unknown>(dbName = "maskau-runs", storeName = "runs"): Promise<RunStore<T>> {
  const store = await openIndexedDbStore(dbName, storeName, "use memoryRunStore from run-store.ts");
  return {
    where: "IndexedDB",
    get: async (key) => (await store.get(key)) as T | undefined,
    put: (key, value) => store.put(key, value),
    delete: (key) => store.delete(key),
  };
}
