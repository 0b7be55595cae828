// Storage of saved training runs behind a small key-value interface, so the pages
// (IndexedDB, see run-store-indexeddb.ts) and tests (memory) plug in the same way.
// Values are structured-cloneable records (a SavedRun: settings plus checkpoint bytes).

export interface RunStore<T = unknown> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/** An in-memory store (tests, or a browser without IndexedDB: the run lasts for the page load). */
export function memoryRunStore<T = unknown>(): RunStore<T> & { keys(): string[] } {
  const m = new Map<string, T>();
  return {
    get: async (k) => m.get(k),
    put: async (k, v) => void m.set(k, structuredClone(v)),
    delete: async (k) => void m.delete(k),
    keys: () => [...m.keys()],
  };
}
