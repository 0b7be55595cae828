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
  /** Where a cache that cannot be read or written is reported (the faces are generated or used all the same). Default console.warn. */
  warn?: (message: string) => void;
}

export interface CachedDataset {
  dataset: AUDataset;
  key: string;
  fromCache: boolean;
  /** Why the dataset could not be stored in the cache (storage full, ...), or null. */
  cacheError?: string | null;
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
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const messageOf = (e: unknown) => (e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e));
  if (!options.refresh) {
    // A cache that cannot be read is a cache miss; a damaged or stale entry is removed.
    const bytes = await cache.get(key).catch((e: unknown) => void warn(`the dataset cache could not be read (${messageOf(e)}): generating the faces`));
    if (bytes) {
      try {
        return { dataset: deserializeDataset(bytes, `cache entry ${key}`), key, fromCache: true };
      } catch {
        await cache.delete(key).catch(() => undefined); // regenerate below
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
  // Storage full (or refused): the faces are used all the same, generated again next time.
  let cacheError: string | null = null;
  try {
    await cache.put(key, serializeDataset(dataset));
  } catch (e) {
    cacheError = messageOf(e);
    warn(`the generated faces could not be cached (${cacheError}): they will be generated again next time`);
  }
  return { dataset, key, fromCache: false, cacheError };
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
