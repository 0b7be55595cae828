// MAE pretraining as the pages run it: settings (kept in the URL), the run itself
// (model, task, AdamW, Trainer, through the run layer) on the pages' dataset, and the
// session kind that the page's RunSession drives: it builds the run, refreshes the
// reconstructions of the held-out samples every few seconds and words the messages.
// No DOM and no browser storage here: the page (src/components/run-session.ts) adds
// IndexedDB and the event loop; Node tests drive the same code.
//
// A saved run is a resumable MaskAU checkpoint (weights, optimizer state, step and
// history in the metadata) plus the settings that rebuild its dataset and task.
// Batches and masks are functions of (seed, step) (MaePretrainTask), so a run
// restored from it continues exactly as an uninterrupted one would.
import { MAE_PRESETS, type MaeConfig, type MaePresetName } from "../config.js";
import type { DatasetSource } from "../data/cache.js";
import type { AUDataset } from "../data/dataset.js";
import type { FaceDatasetConfig } from "../data/generate.js";
import { HELD_OUT_FOLD, PAGE_DATA_SEED, PAGE_SUBJECTS, heldOutSamples, pageDataConfig, type HeldOutSamples } from "../data/page-dataset.js";
import { randomMasking } from "../masks/random.js";
import { reconstructImages } from "../models/reconstruct.js";
import { PRETRAIN_DEFAULTS, resolveMae, type TrainSettings } from "../registry.js";
import { createRun, describeData, type PretrainRun } from "../runs/create.js";
import type { SessionKind } from "../runs/session.js";
import { pretrainSpec, type PretrainSpec } from "../runs/spec.js";
import { settingsSchema } from "../settings-schema.js";
import type { TrainerCallbacks, TrainState } from "./trainer.js";

export type PretrainSettings = {
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
  /** Frames per subject of the pages' dataset (41 subjects, one sequence each). */
  frames: number;
};

/** Defaults, ranges (values outside are clamped) and URL keys of the page's settings. */
export const PRETRAIN_SETTINGS = settingsSchema<PretrainSettings>(
  { preset: "tiny", steps: 2000, batch: 32, lr: 1e-3, maskRatio: 0.75, seed: 0, frames: 30 },
  {
    preset: { choices: Object.keys(MAE_PRESETS) as MaePresetName[], label: "MAE preset" },
    steps: { range: [1, 100_000], integer: true },
    batch: { range: [1, 256], integer: true },
    lr: { range: [1e-6, 1e-1] },
    maskRatio: { range: [0.05, 0.95], query: "mask" },
    seed: { range: [0, 2 ** 31 - 1], integer: true },
    frames: { range: [1, 240], integer: true },
  },
);

/** The same constants as `maskau pretrain`: weight decay, learning-rate floor, warmup share. */
export const PRETRAIN_WEIGHT_DECAY = PRETRAIN_DEFAULTS.weightDecay;
export const LR_FLOOR = PRETRAIN_DEFAULTS.minLr;
export const WARMUP_FRACTION = 0.05;

/** The MAE config of a preset. */
export function presetConfig(preset: MaePresetName): MaeConfig {
  return MAE_PRESETS[preset];
}

/** The pages' dataset at the preset's image size (41 subjects, one sequence of `frames` frames each). */
export function pretrainDataConfig(s: Pick<PretrainSettings, "preset" | "frames">): FaceDatasetConfig {
  return pageDataConfig({ frames: s.frames, size: presetConfig(s.preset).imgSize });
}

/** Warmup steps of a run of `steps` steps (5%, as the shipped model's 100 of 2000). */
export function warmupSteps(steps: number): number {
  return Math.floor(steps * WARMUP_FRACTION);
}

/** A one-line description of a run's settings (checkpoint metadata). */
export function describeSettings(s: PretrainSettings): string {
  return `preset=${s.preset} steps=${s.steps} batch=${s.batch} lr=${s.lr} mask=${s.maskRatio} seed=${s.seed} ` +
    `data=synthetic bp4d ${PAGE_SUBJECTS}x1x${s.frames} (seed ${PAGE_DATA_SEED}, fold ${HELD_OUT_FOLD + 1} held out)`;
}

/** "tiny, 2000 steps, batch 32, lr 0.001, mask 75%, seed 0, 30 frames per subject" (page captions). */
export function describeRun(s: PretrainSettings): string {
  return `${s.preset}, ${s.steps} steps, batch ${s.batch}, lr ${s.lr}, mask ${Math.round(s.maskRatio * 100)}%, seed ${s.seed}, ${s.frames} frames per subject`;
}

/** The fixed random patch mask ([count * L], 1 = removed) of the held-out samples. */
export function heldOutMask(count: number, numPatches: number, ratio = 0.5, seed = 1): Float32Array {
  return randomMasking(count, numPatches, ratio, seed).mask;
}

/** The run spec of page settings: the pages' dataset, fold 1 held out, the page's schedule. */
export function pretrainRunSpec(s: PretrainSettings, checkpointEvery = 50): PretrainSpec {
  const model = resolveMae(s.preset);
  return pretrainSpec({
    model: model.name,
    data: { source: "synthetic", seed: PAGE_DATA_SEED, size: model.config().imgSize, generator: { subjects: PAGE_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: s.frames } },
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
  const s = PRETRAIN_SETTINGS.normalize(settings);
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

export interface SampleReconstructions {
  /** Step of the weights that produced them. */
  step: number;
  samples: HeldOutSamples;
  /** [count * L] 1 = removed. */
  mask: Float32Array;
  /** Patch side in pixels. */
  patch: number;
  reconstruction: Uint8Array;
  composite: Uint8Array;
  /** Mean squared error on the removed patches, per sample (normalised pixels). */
  removedError: Float32Array;
}

/** What the pretraining session measures: the held-out samples' reconstructions by the run's weights. */
export interface PretrainMeasures {
  reconstructions: SampleReconstructions | null;
}

export interface PretrainSessionOptions {
  /** Where the faces come from (the page: IndexedDB-cached). */
  datasets: DatasetSource;
  /** Backend name, recorded in the checkpoints. */
  backend: string;
  /** Refresh the reconstructions at most this often while training (ms). Default 4000. */
  refreshMs?: number;
  /** Held-out samples reconstructed. Default 6. */
  samples?: number;
}

/** The pretraining page's session kind. */
export function pretrainSessionKind(options: PretrainSessionOptions): SessionKind<PretrainSettings, PretrainPageRun, PretrainMeasures> {
  const refreshMs = options.refreshMs ?? 4000;
  const samplesBySize = new Map<number, HeldOutSamples>();
  const samplesAt = (size: number) => {
    if (!samplesBySize.has(size)) samplesBySize.set(size, heldOutSamples(size, options.samples ?? 6));
    return samplesBySize.get(size)!;
  };
  return {
    name: "pretraining",
    normalize: PRETRAIN_SETTINGS.normalize,
    totalSteps: (s) => s.steps,
    batch: (s) => s.batch,
    noMeasures: { reconstructions: null },
    async build(settings, { resume, callbacks, checkpointEvery, progress, turn }) {
      const { dataset, fromCache } = await options.datasets(pretrainDataConfig(settings), (done, total) => progress(`Rendering faces ${done} / ${total}…`));
      progress(`${dataset.subject.length} faces ${fromCache ? "read from the cache" : "rendered"}; building the model…`);
      await turn();
      return createPretrainRun(settings, dataset, {
        checkpointEvery,
        createdBy: `MaskAU pretraining page (${options.backend})`,
        resume: resume ?? undefined,
        callbacks,
      });
    },
    async measure(run) {
      const config = presetConfig(run.settings.preset);
      if (config.normPixLoss) return {}; // predictions are per-patch normalised: no pixel-space view
      const samples = samplesAt(config.imgSize);
      const mask = heldOutMask(samples.count, run.mae.numPatches);
      const out = await reconstructImages(run.mae, samples.images, mask);
      const { reconstruction, composite, removedError } = out;
      return { reconstructions: { step: run.trainer.step, samples, mask, patch: config.patchSize, reconstruction, composite, removedError } };
    },
    // At most every refreshMs, and at most ~10% of the time on a slow backend; the end of the loop measures anyway.
    measureDue: (t) => t.sinceMs > refreshMs && t.sinceMs > 10 * t.costMs && t.step < t.totalSteps && !t.pausing,
    messages: {
      idle: "No saved run: start one.",
      training: (run) => `Training on ${run.trainFrames.length} faces (fold ${HELD_OUT_FOLD + 1} held out)…`,
      paused: (run) => `Paused at step ${run.trainer.step} and saved; resume here or after a reload.`,
      completed: (run) => `Finished ${run.trainer.step} steps; the run is saved, download its checkpoint below.`,
    },
  };
}
