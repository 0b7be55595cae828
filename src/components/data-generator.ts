// The Data page's generator: settings read from and written to the URL query
// (so a link reproduces the view), and generation in the browser with the same
// library code as Node, cached in IndexedDB by a hash of the config.
import { PRESETS, type PresetName } from "../lib/data/aus.js";
import { cachedFaceDataset, memoryDatasetCache, type CachedDataset, type DatasetCache } from "../lib/data/cache.js";
import { indexedDbDatasetCache } from "../lib/data/cache-indexeddb.js";
import { faceDatasetConfig, type FaceDatasetConfig } from "../lib/data/generate.js";

export interface GeneratorSettings {
  preset: PresetName;
  subjects: number;
  /** Frames per subject (spread over the preset's sequences). */
  frames: number;
  seed: number;
}

export const DEFAULT_SETTINGS: GeneratorSettings = { preset: "bp4d", subjects: 40, frames: 8, seed: 1 };

const LIMITS = { subjects: [3, 200], frames: [1, 480] } as const;

function intParam(q: URLSearchParams, name: string, fallback: number, [lo, hi]: readonly [number, number]): number {
  const raw = q.get(name);
  if (raw === null || !/^\d+$/.test(raw)) return fallback;
  return Math.min(hi, Math.max(lo, Number(raw)));
}

/** Generator settings from a query string; anything missing or invalid falls back to the defaults. */
export function readSettings(search: string): GeneratorSettings {
  const q = new URLSearchParams(search);
  const preset = q.get("preset");
  return {
    preset: preset === "bp4d" || preset === "disfa" ? preset : DEFAULT_SETTINGS.preset,
    subjects: intParam(q, "subjects", DEFAULT_SETTINGS.subjects, LIMITS.subjects),
    frames: intParam(q, "frames", DEFAULT_SETTINGS.frames, LIMITS.frames),
    seed: intParam(q, "seed", DEFAULT_SETTINGS.seed, [0, 2 ** 31 - 1]),
  };
}

/** Writes `params` into the page URL (replacing history, keeping other parameters such as ?backend=). */
export function writeQuery(params: Record<string, string | number | null | undefined>): void {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  if (url.href !== location.href) history.replaceState(history.state, "", url.href);
}

/** The generator config of page settings: frames per subject spread over the preset's sequences. */
export function settingsConfig(s: GeneratorSettings): FaceDatasetConfig {
  const seqs = PRESETS[s.preset].sequencesPerSubject;
  return faceDatasetConfig({
    preset: s.preset,
    subjects: s.subjects,
    seed: s.seed,
    sequencesPerSubject: Math.min(seqs, s.frames),
    framesPerSequence: Math.max(1, Math.round(s.frames / Math.min(seqs, s.frames))),
  });
}

let cache: Promise<DatasetCache> | undefined;

/** IndexedDB where the browser allows it, otherwise memory for this page load. */
function datasetCache(): Promise<DatasetCache> {
  cache ??= indexedDbDatasetCache("maskau", "datasets").catch(() => memoryDatasetCache());
  return cache;
}

export interface GeneratedDataset extends CachedDataset {
  config: FaceDatasetConfig;
  seconds: number;
  /** Render throughput (null when read from the cache). */
  facesPerSecond: number | null;
}

/** Generates (or reads from the cache) the dataset of the given settings, reporting progress. */
export async function generateInBrowser(
  s: GeneratorSettings, onProgress?: (done: number, total: number) => void,
): Promise<GeneratedDataset> {
  const config = settingsConfig(s);
  const store = await datasetCache();
  const t0 = performance.now();
  let rendering = 0;
  const result = await cachedFaceDataset(config, store, {
    chunk: 64,
    onProgress: (done, total) => {
      rendering = performance.now() - t0;
      onProgress?.(done, total);
    },
  }).catch(async () => cachedFaceDataset(config, memoryDatasetCache(), { chunk: 64, onProgress }));
  const seconds = (performance.now() - t0) / 1000;
  const frames = result.dataset.subject.length;
  return {
    ...result,
    config,
    seconds,
    facesPerSecond: result.fromCache || rendering === 0 ? null : frames / (rendering / 1000),
  };
}

/** A progress line with a bar, updated in place. */
export function ProgressLine(label: string): HTMLElement & { update(done: number, total: number): void; finish(text: string): void } {
  const el = document.createElement("div") as unknown as HTMLElement & { update(done: number, total: number): void; finish(text: string): void };
  el.className = "maskau-progress";
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  const text = document.createElement("span");
  text.textContent = label;
  el.append(bar, text);
  el.update = (done, total) => {
    bar.max = total;
    bar.value = done;
    text.textContent = `${label} ${done} / ${total} faces`;
  };
  el.finish = (message) => {
    bar.remove();
    el.classList.add("maskau-progress-done");
    text.textContent = message;
  };
  return el;
}

/** Triggers a browser download of `data` as `filename`. */
export function downloadBlob(data: BlobPart, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
