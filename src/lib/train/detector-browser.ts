// Training an AU detector the way the Teacher page does: ME-GraphAU stage 1 (tiny
// preset, ANFL head) on clean faces of a small browser dataset, as a detector run of
// the run layer (the same spec `maskau train detector` builds), and a held-out F1 measured every
// few steps on a fixed subset of the test fold. Settings are kept in the URL. No DOM
// here: the page's session (src/components/detector-session.ts) adds the event loop.
import type { AUDataset } from "../data/dataset.js";
import { foldSplit } from "../data/folds.js";
import { faceDatasetConfig, type FaceDatasetConfig } from "../data/generate.js";
import { DETECTOR_DEFAULTS } from "../registry.js";
import { createRun, describeData, type DetectorRun } from "../runs/create.js";
import { detectorSpec, type DetectorSpec } from "../runs/spec.js";
import type { TrainerCallbacks } from "./trainer.js";

export interface DetectorRunSettings {
  /** Optimisation steps. */
  steps: number;
  /** Images per step. */
  batch: number;
  /** Peak learning rate (warmup, then cosine decay to 1e-5). */
  lr: number;
  /** Seed of the initialisation, batches and flips. */
  seed: number;
  /** Frames per subject of the browser dataset (41 subjects, one sequence each). */
  frames: number;
  /** Evaluate the held-out F1 every this many steps. */
  every: number;
  /** Held-out frames evaluated (a fixed, evenly spaced subset of the test fold). */
  evalFrames: number;
}

export const DEFAULT_DETECTOR_RUN: DetectorRunSettings = { steps: 80, batch: 16, lr: 1e-3, seed: 0, frames: 20, every: 10, evalFrames: 96 };

export const DETECTOR_RUN_LIMITS: Record<keyof DetectorRunSettings, readonly [number, number]> = {
  steps: [1, 20_000],
  batch: [2, 128],
  lr: [1e-6, 1e-1],
  seed: [0, 2 ** 31 - 1],
  frames: [1, 120],
  every: [1, 1000],
  evalFrames: [8, 2000],
};

/** URL query key of each setting. */
export const DETECTOR_RUN_QUERY: Record<keyof DetectorRunSettings, string> = {
  steps: "steps",
  batch: "batch",
  lr: "lr",
  seed: "seed",
  frames: "frames",
  every: "every",
  evalFrames: "eval",
};

const KEYS = Object.keys(DETECTOR_RUN_QUERY) as (keyof DetectorRunSettings)[];

/** Same constants as the CLI: AdamW weight decay 5e-4, learning-rate floor, warmup share. */
export const DETECTOR_WEIGHT_DECAY = DETECTOR_DEFAULTS.weightDecay;
export const DETECTOR_MIN_LR = DETECTOR_DEFAULTS.minLr;
export const DETECTOR_WARMUP_FRACTION = 0.1;
/** The browser dataset: the BP4D-like generator, seed 1 (as `--data-seed 1`), 41 subjects. */
export const BROWSER_DATA_SEED = 1;
export const BROWSER_SUBJECTS = 41;
/** Held-out fold (0-based): fold 1, as the shipped detectors and MAE. */
export const HELD_OUT_FOLD = 0;
/** Patch side of occlusion masks (the tiny MAE's 8 px patches at 64 px). */
export const BROWSER_PATCH = 8;

/** Checks and clamps settings (integers where they must be); throws on a non-number. */
export function normalizeDetectorRun(s: Partial<DetectorRunSettings>): DetectorRunSettings {
  const out = { ...DEFAULT_DETECTOR_RUN, ...s };
  for (const key of KEYS) {
    const v = Number(out[key]);
    if (!Number.isFinite(v)) throw new Error(`${key} must be a number, got ${out[key]}`);
    const [lo, hi] = DETECTOR_RUN_LIMITS[key];
    out[key] = Math.min(hi, Math.max(lo, key === "lr" ? v : Math.round(v)));
  }
  return out;
}

/** Settings from a query string; anything missing or invalid takes the default. */
export function readDetectorRun(search: string): DetectorRunSettings {
  const q = new URLSearchParams(search);
  const s: Partial<DetectorRunSettings> = {};
  for (const key of KEYS) {
    const raw = q.get(DETECTOR_RUN_QUERY[key]);
    if (raw === null || raw.trim() === "") continue;
    const v = Number(raw);
    if (Number.isFinite(v)) s[key] = v;
  }
  return normalizeDetectorRun(s);
}

/** Query parameters of settings (defaults left out, so links stay short). */
export function detectorRunQuery(s: DetectorRunSettings): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of KEYS) out[DETECTOR_RUN_QUERY[key]] = s[key] === DEFAULT_DETECTOR_RUN[key] ? null : String(s[key]);
  return out;
}

/** The browser dataset config: 41 subjects x 1 sequence x `frames` frames, 64 px. */
export function detectorRunDataConfig(s: Pick<DetectorRunSettings, "frames">): FaceDatasetConfig {
  return faceDatasetConfig({ preset: "bp4d", seed: BROWSER_DATA_SEED, subjects: BROWSER_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: s.frames, size: 64 });
}

/** `count` frames spread evenly over `frames` (all of them when there are fewer). */
export function evenSubset(frames: Int32Array, count: number): Int32Array {
  if (frames.length <= count) return Int32Array.from(frames);
  return Int32Array.from({ length: count }, (_, i) => frames[Math.floor((i * frames.length) / count)]);
}

/** The `maskau train detector` command that does the same run on the full default dataset. */
export function equivalentCommand(s: DetectorRunSettings): string {
  return `maskau train detector --fold ${HELD_OUT_FOLD + 1} --occlusion none --input clean --stage 1 --preset tiny --steps ${s.steps} --batch ${s.batch} --lr ${s.lr} --warmup ${warmupSteps(s.steps)} --seed ${s.seed}`;
}

export function warmupSteps(steps: number): number {
  return Math.floor(steps * DETECTOR_WARMUP_FRACTION);
}

export interface EvalPoint {
  step: number;
  meanF1: number;
  f1: number[];
}

/** A page's detector run: the run layer's run plus the page settings and the held-out subset it evaluates. */
export type DetectorPageRun = DetectorRun & { settings: DetectorRunSettings; evalSet: Int32Array; train: Int32Array };

/** The run spec of page settings: tiny ResNet detector, stage 1, clean faces, fold 1 held out. */
export function detectorRunSpec(s: DetectorRunSettings): DetectorSpec {
  return detectorSpec({
    model: "detector/resnet-tiny",
    data: { source: "synthetic", seed: BROWSER_DATA_SEED, size: 64, generator: { subjects: BROWSER_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: s.frames } },
    fold: HELD_OUT_FOLD + 1,
    seed: s.seed,
    stage: 1,
    input: "clean",
    train: { steps: s.steps, batch: s.batch, lr: s.lr, minLr: Math.min(DETECTOR_MIN_LR, s.lr), warmup: warmupSteps(s.steps), weightDecay: DETECTOR_WEIGHT_DECAY, checkpointEvery: 0 },
  });
}

/**
 * The run of page settings on `dataset` (detectorRunDataConfig), through the run layer.
 * The task commits BatchNorm statistics after each update (its afterUpdate hook),
 * before the callbacks run; `evaluate()` measures the held-out subset.
 */
export async function createDetectorRun(settings: Partial<DetectorRunSettings>, dataset: AUDataset, callbacks: Pick<TrainerCallbacks, "onStep"> = {}): Promise<DetectorPageRun> {
  const s = normalizeDetectorRun(settings);
  if (dataset.folds <= HELD_OUT_FOLD) throw new Error(`the dataset has ${dataset.folds} folds: cannot hold out fold ${HELD_OUT_FOLD + 1}`);
  const spec = detectorRunSpec(s);
  const evalSet = evenSubset(foldSplit(dataset, HELD_OUT_FOLD).test, s.evalFrames);
  const run = await createRun(spec, { dataset, dataDescription: describeData(spec.data, dataset) }, { callbacks, createdBy: `MaskAU Teacher page: ${equivalentCommand(s)}`, evalFrames: evalSet });
  return Object.assign(run, { settings: s, evalSet, train: run.trainFrames });
}
