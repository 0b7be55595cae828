// The Data page's generator: its settings (a schema: kept in the URL, so a link
// reproduces the view), and generation in the browser with the same library code as
// Node, cached in IndexedDB by a hash of the config.
import { PRESETS, type PresetName } from "../lib/data/aus.js";
import { cachedFaceDataset, memoryDatasetCache, type CachedDataset } from "../lib/data/cache.js";
import { faceDatasetConfig, type FaceDatasetConfig } from "../lib/data/generate.js";
import { settingsSchema } from "../lib/settings-schema.js";
import { browserDatasetCache } from "./browser-storage.js";

export type GeneratorSettings = {
  preset: PresetName;
  subjects: number;
  /** Frames per subject (spread over the preset's sequences). */
  frames: number;
  seed: number;
};

/** Defaults, ranges and URL keys of the generator settings. */
export const GENERATOR_SETTINGS = settingsSchema<GeneratorSettings>(
  { preset: "bp4d", subjects: 40, frames: 8, seed: 1 },
  {
    preset: { choices: Object.keys(PRESETS) as PresetName[], label: "dataset preset" },
    subjects: { range: [3, 200], integer: true },
    frames: { range: [1, 480], integer: true },
    seed: { range: [0, 2 ** 31 - 1], integer: true },
  },
);

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
  const store = await browserDatasetCache();
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
