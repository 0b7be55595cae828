// MAE pretraining as the pages run it: settings (kept in the URL), the smaller
// browser dataset, the held-out samples whose reconstructions are shown, the run
// itself (model, task, AdamW, Trainer) and its saved form. No DOM and no browser
// storage here: the page's session (src/components/pretrain-session.ts) adds
// IndexedDB, downloads and the event loop; Node tests drive the same code.
//
// A saved run is a resumable MaskAU checkpoint (weights, optimizer state, step and
// history in the metadata) plus the settings that rebuild its dataset and task.
// Batches and masks are functions of (seed, step) (MaePretrainTask), so a run
// restored from it continues exactly as an uninterrupted one would.
import { MAE_PRESETS, type MaeConfig, type MaePresetName } from "../config.js";
import type { AUDataset } from "../data/dataset.js";
import { foldSplit } from "../data/folds.js";
import { faceDatasetConfig, generateFaceDataset, type FaceDatasetConfig } from "../data/generate.js";
import { checkpointToTrainState, decodeCheckpoint } from "../io/checkpoint.js";
import { randomMasking } from "../masks/random.js";
import { PRETRAIN_DEFAULTS, resolveMae, type TrainSettings } from "../registry.js";
import { createRun, describeData, type PretrainRun } from "../runs/create.js";
import { pretrainSpec, type PretrainSpec } from "../runs/spec.js";
import type { TrainerCallbacks, TrainState } from "./trainer.js";

export interface PretrainSettings {
  preset: MaePresetName;
  /** Optimisation steps of the run. */
  steps: number;
  /** Images per step. */
  batch: number;
  /** Peak learning rate (after warmup; cosine decay to LR_FLOOR). */
  lr: number;
  /** Fraction of patches removed in training. */
  maskRatio: number;
  /** Seed of the initialisation, batches and masks. */
  seed: number;
  /** Frames per subject of the browser dataset (41 subjects, one sequence each). */
  frames: number;
}

export const DEFAULT_PRETRAIN_SETTINGS: PretrainSettings = {
  preset: "tiny",
  steps: 2000,
  batch: 32,
  lr: 1e-3,
  maskRatio: 0.75,
  seed: 0,
  frames: 30,
};

/** Allowed ranges of the numeric settings (values outside are clamped). */
export const PRETRAIN_LIMITS = {
  steps: [1, 100_000],
  batch: [1, 256],
  lr: [1e-6, 1e-1],
  maskRatio: [0.05, 0.95],
  seed: [0, 2 ** 31 - 1],
  frames: [1, 240],
} as const;

/** URL query parameter of each setting. */
export const PRETRAIN_QUERY_KEYS: Record<keyof PretrainSettings, string> = {
  preset: "preset",
  steps: "steps",
  batch: "batch",
  lr: "lr",
  maskRatio: "mask",
  seed: "seed",
  frames: "frames",
};

/** The same constants as `maskau pretrain`: AdamW betas, weight decay, LR floor, warmup share. */
export const PRETRAIN_WEIGHT_DECAY = PRETRAIN_DEFAULTS.weightDecay;
export const LR_FLOOR = PRETRAIN_DEFAULTS.minLr;
export const WARMUP_FRACTION = 0.05;
/** Subjects of the browser dataset (the BP4D count; the CLI default has 8 sequences each). */
export const BROWSER_SUBJECTS = 41;
/** Seed of the synthetic generator (as `maskau pretrain --data-seed`). */
export const DATA_SEED = 1;
/** Test fold (0-based) held out of pretraining: `maskau pretrain --fold 1`. */
export const HELD_OUT_FOLD = 0;

function isPreset(v: unknown): v is MaePresetName {
  return typeof v === "string" && Object.prototype.hasOwnProperty.call(MAE_PRESETS, v);
}

function clamp(v: number, [lo, hi]: readonly [number, number]): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Checks and clamps settings (integers where they must be); throws on a non-number. */
export function normalizePretrainSettings(s: Partial<PretrainSettings>): PretrainSettings {
  const d = DEFAULT_PRETRAIN_SETTINGS;
  const out = { ...d, ...s };
  if (!isPreset(out.preset)) throw new Error(`unknown MAE preset "${out.preset}": choose ${Object.keys(MAE_PRESETS).join(", ")}`);
  for (const key of ["steps", "batch", "lr", "maskRatio", "seed", "frames"] as const) {
    const v = Number(out[key]);
    if (!Number.isFinite(v)) throw new Error(`${key} must be a number, got ${out[key]}`);
    const integer = key !== "lr" && key !== "maskRatio";
    out[key] = clamp(integer ? Math.round(v) : v, PRETRAIN_LIMITS[key]);
  }
  return out;
}

/** Settings from a query string; anything missing or invalid falls back to the default. */
export function readPretrainSettings(search: string): PretrainSettings {
  const q = new URLSearchParams(search);
  const s: Partial<PretrainSettings> = {};
  const preset = q.get(PRETRAIN_QUERY_KEYS.preset);
  if (isPreset(preset)) s.preset = preset;
  for (const key of ["steps", "batch", "lr", "maskRatio", "seed", "frames"] as const) {
    const raw = q.get(PRETRAIN_QUERY_KEYS[key]);
    if (raw === null || raw.trim() === "") continue;
    const v = Number(raw);
    if (Number.isFinite(v)) s[key] = v;
  }
  return normalizePretrainSettings(s);
}

/** Query parameters of settings; defaults are left out so links stay short. */
export function pretrainQuery(s: PretrainSettings): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of Object.keys(PRETRAIN_QUERY_KEYS) as (keyof PretrainSettings)[]) {
    out[PRETRAIN_QUERY_KEYS[key]] = s[key] === DEFAULT_PRETRAIN_SETTINGS[key] ? null : String(s[key]);
  }
  return out;
}

export function sameSettings(a: PretrainSettings, b: PretrainSettings): boolean {
  return (Object.keys(PRETRAIN_QUERY_KEYS) as (keyof PretrainSettings)[]).every((k) => a[k] === b[k]);
}

/** The MAE config of a preset. */
export function presetConfig(preset: MaePresetName): MaeConfig {
  return MAE_PRESETS[preset];
}

/** The browser dataset: 41 subjects, one sequence of `frames` frames each, at the preset's image size. */
export function pretrainDataConfig(s: Pick<PretrainSettings, "preset" | "frames">): FaceDatasetConfig {
  return faceDatasetConfig({
    preset: "bp4d",
    seed: DATA_SEED,
    subjects: BROWSER_SUBJECTS,
    sequencesPerSubject: 1,
    framesPerSequence: s.frames,
    size: presetConfig(s.preset).imgSize,
  });
}

/** Warmup steps of a run of `steps` steps (5%, as the shipped model's 100 of 2000). */
export function warmupSteps(steps: number): number {
  return Math.floor(steps * WARMUP_FRACTION);
}


/** A one-line description of a run's settings (checkpoint metadata, page captions). */
export function describeSettings(s: PretrainSettings): string {
  return `preset=${s.preset} steps=${s.steps} batch=${s.batch} lr=${s.lr} mask=${s.maskRatio} seed=${s.seed} ` +
    `data=synthetic bp4d ${BROWSER_SUBJECTS}x1x${s.frames} (seed ${DATA_SEED}, fold ${HELD_OUT_FOLD + 1} held out)`;
}

export interface HeldOutSamples {
  /** [count, size, size, 3] uint8 RGB. */
  images: Uint8Array;
  /** Subject name of each sample. */
  subjects: string[];
  count: number;
  size: number;
}

/**
 * Fixed faces of subjects that pretraining never sees (the held-out fold): the first
 * frame of the first `count` held-out subjects of the default synthetic identities.
 * The same faces for every run and for the shipped model (folds depend on the
 * generator seed and subject count only).
 */
export function heldOutSamples(size: number, count = 6): HeldOutSamples {
  const ds = generateFaceDataset({ preset: "bp4d", seed: DATA_SEED, subjects: BROWSER_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: 1, size });
  const picked = foldSplit(ds, HELD_OUT_FOLD).test.slice(0, count);
  const ib = size * size * 3;
  const images = new Uint8Array(picked.length * ib);
  picked.forEach((i, j) => images.set(ds.images.subarray(i * ib, (i + 1) * ib), j * ib));
  return { images, subjects: Array.from(picked, (i) => ds.subjects[ds.subject[i]]), count: picked.length, size };
}

/** The fixed random patch mask ([count * L], 1 = removed) of the held-out samples. */
export function heldOutMask(count: number, numPatches: number, ratio = 0.5, seed = 1): Float32Array {
  return randomMasking(count, numPatches, ratio, seed).mask;
}

/** The run spec of page settings: the browser dataset, fold 1 held out, the page's schedule. */
export function pretrainRunSpec(s: PretrainSettings, checkpointEvery = 50): PretrainSpec {
  const model = resolveMae(s.preset);
  return pretrainSpec({
    model: model.name,
    data: { source: "synthetic", seed: DATA_SEED, size: model.config().imgSize, generator: { subjects: BROWSER_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: s.frames } },
    fold: HELD_OUT_FOLD + 1,
    seed: s.seed,
    maskRatio: s.maskRatio,
    train: { ...trainerSettingsFor(s), checkpointEvery },
  });
}

function trainerSettingsFor(s: PretrainSettings): Omit<TrainSettings, "checkpointEvery"> {
  return { steps: s.steps, batch: s.batch, lr: s.lr, minLr: Math.min(LR_FLOOR, s.lr), warmup: warmupSteps(s.steps), weightDecay: PRETRAIN_WEIGHT_DECAY };
}

/** A page's pretraining run: the run layer's run plus the page settings it came from. */
export type PretrainPageRun = PretrainRun & { settings: PretrainSettings };

export interface PretrainRunOptions {
  /** Trainer callbacks (progress, pause, saving). */
  callbacks?: Pick<TrainerCallbacks, "onStep" | "onCheckpoint">;
  /** Call onCheckpoint every this many steps. Default 50. */
  checkpointEvery?: number;
  /** Who wrote the checkpoints (e.g. the page and its backend). */
  createdBy?: string;
  /** A saved state to continue from. */
  resume?: TrainState;
}

/** The run of page settings on `dataset` (the settings' pretrainDataConfig), through the run layer. */
export async function createPretrainRun(settings: PretrainSettings, dataset: AUDataset, options: PretrainRunOptions = {}): Promise<PretrainPageRun> {
  const s = normalizePretrainSettings(settings);
  const spec = pretrainRunSpec(s, options.checkpointEvery ?? 50);
  const run = await createRun(spec, { dataset, dataDescription: describeData(spec.data, dataset) }, {
    callbacks: options.callbacks,
    createdBy: `${options.createdBy ?? "MaskAU pretraining page"}: ${describeSettings(s)}`,
  });
  if (options.resume) {
    const saved = options.resume.config;
    if (saved.steps !== s.steps || saved.lr !== s.lr) {
      run.dispose();
      throw new Error(`cannot resume: the saved run has steps=${saved.steps} lr=${saved.lr}, the settings say steps=${s.steps} lr=${s.lr}`);
    }
    run.trainer.restore(options.resume);
  }
  return Object.assign(run, { settings: s });
}

/** A resumable checkpoint (safetensors bytes) of a run's state. */
export function encodeRunState(run: PretrainRun, state: TrainState): Uint8Array {
  return run.encodeState(state);
}

/** The TrainState of resumable checkpoint bytes (throws for weights-only files). */
export function decodeRunState(bytes: Uint8Array, source = "saved run"): TrainState {
  return checkpointToTrainState(decodeCheckpoint(bytes, source), source);
}

/** A saved run: the settings that rebuild it and its checkpoint bytes. */
export interface SavedRun {
  version: 1;
  settings: PretrainSettings;
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

export function savedRun(settings: PretrainSettings, state: TrainState, checkpoint: Uint8Array, backend: string): SavedRun {
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

/** Checks a value read back from storage; returns null (and the reason) when it is not a usable saved run. */
export function parseSavedRun(value: unknown): { run: SavedRun | null; problem: string | null } {
  if (value === undefined || value === null) return { run: null, problem: null };
  if (typeof value !== "object") return { run: null, problem: "the saved run has an unknown format" };
  const v = value as Omit<Partial<SavedRun>, "checkpoint"> & { checkpoint?: unknown };
  if (v.version !== 1) return { run: null, problem: "the saved run has an unknown format" };
  let settings: PretrainSettings;
  try {
    settings = normalizePretrainSettings(v.settings ?? {});
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

/** One wall-clock observation of the step counter. */
export interface StepTime {
  step: number;
  /** Milliseconds (performance.now()). */
  time: number;
}

export interface Throughput {
  imagesPerSecond: number | null;
  stepsPerSecond: number | null;
  /** Seconds to the end of the run at the current rate (null until measurable). */
  etaSeconds: number | null;
}

/** Throughput over the last `window` observations and the time left for `totalSteps`. */
export function throughput(times: readonly StepTime[], batch: number, totalSteps: number, window = 20): Throughput {
  const recent = times.slice(-window - 1);
  if (recent.length < 2) return { imagesPerSecond: null, stepsPerSecond: null, etaSeconds: null };
  const first = recent[0];
  const last = recent[recent.length - 1];
  const steps = last.step - first.step;
  const seconds = (last.time - first.time) / 1000;
  if (!(steps > 0 && seconds > 0)) return { imagesPerSecond: null, stepsPerSecond: null, etaSeconds: null };
  const stepsPerSecond = steps / seconds;
  return {
    imagesPerSecond: stepsPerSecond * batch,
    stepsPerSecond,
    etaSeconds: Math.max(0, totalSteps - last.step) / stepsPerSecond,
  };
}

/** "1 h 02 min", "3 min 05 s", "12 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}
