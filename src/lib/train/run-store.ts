// Saved training runs: what is stored (the settings that rebuild a run and a resumable
// checkpoint of it) and where, behind a small key-value interface, so the pages
// (IndexedDB, see run-store-indexeddb.ts) and tests (memory) plug in the same way.
import type { TrainState } from "./trainer.js";

export interface RunStore<T = unknown> {
  /** Where the runs are kept, in words ("IndexedDB", "memory"). */
  readonly where: string;
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/** An in-memory store (tests, or a browser without IndexedDB: the run lasts for the page load). */
export function memoryRunStore<T = unknown>(): RunStore<T> & { keys(): string[] } {
  const m = new Map<string, T>();
  return {
    where: "memory",
    get: async (k) => m.get(k),
    put: async (k, v) => void m.set(k, structuredClone(v)),
    delete: async (k) => void m.delete(k),
    keys: () => [...m.keys()],
  };
}

/** A saved run: the settings that rebuild it and its checkpoint bytes (a structured-cloneable record). */
export interface SavedRun<S> {
  version: 1;
  settings: S;
  step: number;
  totalSteps: number;
  /** Loss of the last step before saving (null before the first step). */
  loss: number | null;
  /** ISO time of saving. */
  savedAt: string;
  /** Backend the run was trained on (a resumed run is exact on the same backend). */
  backend: string;
  /** Resumable checkpoint (safetensors). */
  checkpoint: Uint8Array;
}

export function savedRun<S>(settings: S, state: TrainState, checkpoint: Uint8Array, backend: string): SavedRun<S> {
  return {
    version: 1,
    settings,
    step: state.step,
    totalSteps: state.config.steps,
    loss: state.history.at(-1)?.loss ?? null,
    savedAt: new Date().toISOString(),
    backend,
    checkpoint,
  };
}

/**
 * Checks a value read back from storage, its settings with `normalize` (which throws on
 * bad settings); returns null and the reason when it is not a usable saved run.
 */
export function parseSavedRun<S>(value: unknown, normalize: (settings: Partial<S>) => S): { run: SavedRun<S> | null; problem: string | null } {
  if (value === undefined || value === null) return { run: null, problem: null };
  if (typeof value !== "object") return { run: null, problem: "the saved run has an unknown format" };
  const v = value as Omit<Partial<SavedRun<S>>, "checkpoint"> & { checkpoint?: unknown };
  if (v.version !== 1) return { run: null, problem: "the saved run has an unknown format" };
  let settings: S;
  try {
    settings = normalize(v.settings ?? {});
  } catch (e) {
    return { run: null, problem: `the saved run's settings are invalid (${(e as Error).message})` };
  }
  const c = v.checkpoint;
  const bytes = c instanceof Uint8Array ? c : c instanceof ArrayBuffer ? new Uint8Array(c) : null;
  if (!bytes || !Number.isInteger(v.step) || !Number.isInteger(v.totalSteps)) return { run: null, problem: "the saved run is incomplete" };
  return {
    run: {
      version: 1,
      settings,
      step: v.step!,
      totalSteps: v.totalSteps!,
      loss: typeof v.loss === "number" ? v.loss : null,
      savedAt: String(v.savedAt ?? ""),
      backend: String(v.backend ?? "unknown"),
      checkpoint: bytes,
    },
    problem: null,
  };
}
