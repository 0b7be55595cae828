// What the pages keep in the browser: generated faces (IndexedDB dataset cache) and saved
// training runs (IndexedDB run store), each in memory for this page load where the
// browser refuses storage (e.g. some private windows).
import { datasetSource, memoryDatasetCache, type DatasetCache, type DatasetSource } from "../lib/data/cache.js";
import { indexedDbDatasetCache } from "../lib/data/cache-indexeddb.js";
import { memoryRunStore, type RunStore } from "../lib/train/run-store.js";
import { indexedDbRunStore } from "../lib/train/run-store-indexeddb.js";

let cache: Promise<DatasetCache> | undefined;
let datasets: DatasetSource | undefined;

/** The browser's dataset cache. */
export function browserDatasetCache(): Promise<DatasetCache> {
  cache ??= indexedDbDatasetCache("maskau", "datasets").catch(() => memoryDatasetCache());
  return cache;
}

/** Faces for the pages' runs, from the browser's dataset cache (the last set stays in memory). */
export function browserDatasets(): DatasetSource {
  datasets ??= datasetSource(browserDatasetCache());
  return datasets;
}

/** The browser's store of saved runs. */
export function browserRunStore(): Promise<RunStore> {
  return indexedDbRunStore().catch((error) => {
    console.warn(`saved runs are kept in memory only: ${error}`);
    return memoryRunStore();
  });
}
