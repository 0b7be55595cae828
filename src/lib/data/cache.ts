// Caching of generated datasets behind a small key-value interface, so Node
// (files, see cache-node.ts) and the browser (IndexedDB, see cache-indexeddb.ts)
// plug in the same way. Keys come from a hash of the generator config.
import type { AUDataset } from "./dataset.js";
import { FaceDatasetBuilder, faceConfigKey, faceDatasetConfig, type FaceDatasetConfig } from "./generate.js";
import { deserializeDataset, serializeDataset } from "./serialize.js";

/** Byte storage by key. Implementations: files (Node), IndexedDB (browser), memory (tests). */
export interface DatasetCache {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
}

/** An in-memory cache (tests, or a page that keeps sets for the session). */
export function memoryDatasetCache(): DatasetCache & { keys(): string[] } {
  const m = new Map<string, Uint8Array>();
  return {
    get: async (k) => m.get(k),
    put: async (k, b) => void m.set(k, b.slice()),
    delete: async (k) => void m.delete(k),
    keys: () => [...m.keys()],
  };
}

export interface CachedDatasetOptions {
  /** Progress while generating (not called on a cache hit). */
  onProgress?: (done: number, total: number) => void;
  /** Frames per step between progress calls (and between yields to the event loop). Default 256. */
  chunk?: number;
  /** Ignore a cached copy and regenerate (the new copy replaces it). */
  refresh?: boolean;
}

export interface CachedDataset {
  dataset: AUDataset;
  key: string;
  fromCache: boolean;
}

/**
 * The synthetic dataset for `config`, read from `cache` if present (and intact),
 * otherwise generated and stored. Generation yields to the event loop between
 * chunks so a page stays responsive.
 */
export async function cachedFaceDataset(
  config: Partial<FaceDatasetConfig>, cache: DatasetCache, options: CachedDatasetOptions = {},
): Promise<CachedDataset> {
  const cfg = faceDatasetConfig(config);
  const key = faceConfigKey(cfg);
  if (!options.refresh) {
    const bytes = await cache.get(key);
    if (bytes) {
      try {
        return { dataset: deserializeDataset(bytes, `cache entry ${key}`), key, fromCache: true };
      } catch {
        await cache.delete(key); // damaged or stale: regenerate below
      }
    }
  }
  const b = new FaceDatasetBuilder(cfg);
  while (!b.finished) {
    b.step(options.chunk ?? 256);
    options.onProgress?.(b.progress, b.total);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const dataset = b.result();
  await cache.put(key, serializeDataset(dataset));
  return { dataset, key, fromCache: false };
}

/** Where a page's run gets its faces: the dataset of a generator config, with rendering progress. */
export type DatasetSource = (config: FaceDatasetConfig, onProgress?: (done: number, total: number) => void) => Promise<CachedDataset>;

/**
 * A DatasetSource over `cache` that keeps the last dataset in memory, so a run started
 * again with the same data does not read it back. Chunks of 32 frames keep a page responsive.
 */
export function datasetSource(cache: DatasetCache | Promise<DatasetCache>): DatasetSource {
  let last: CachedDataset | null = null;
  return async (config, onProgress) => {
    const key = faceConfigKey(faceDatasetConfig(config));
    if (last?.key === key) return { ...last, fromCache: true };
    last = null;
    last = await cachedFaceDataset(config, await cache, { chunk: 32, onProgress });
    return last;
  };
}
