// Training an AU detector the way the Teacher page does: ME-GraphAU stage 1 (tiny
// preset, ANFL head) on clean faces of the pages' dataset, as a detector run of the run
// layer (the same spec `maskau train detector` builds), and the session kind the page's
// RunSession drives: the held-out F1 on a fixed subset of the test fold and the learned
// relation graph, measured every few steps. Settings are kept in the URL. No DOM here:
// the page (src/components/run-session.ts) adds the event loop.
import type { DatasetSource } from "../data/cache.js";
import type { AUDataset } from "../data/dataset.js";
import { foldSplit } from "../data/folds.js";
import { gatherImages } from "../data/frames.js";
import type { FaceDatasetConfig } from "../data/generate.js";
import { HELD_OUT_FOLD, PAGE_DATA_SEED, PAGE_SUBJECTS, pageDataConfig } from "../data/page-dataset.js";
import { relationGraph, type RelationGraph } from "../eval/relation-graph.js";
import { DETECTOR_DEFAULTS } from "../registry.js";
import { createRun, describeData, type DetectorRun } from "../runs/create.js";
import type { SessionKind, SessionSnapshot } from "../runs/session.js";
import { detectorSpec, type DetectorSpec } from "../runs/spec.js";
import { settingsSchema } from "../settings-schema.js";
import type { TrainerCallbacks } from "./trainer.js";

export type DetectorRunSettings = {
  /** Optimisation steps. */
  steps: number;
  /** Images per step. */
  batch: number;
  /** Peak learning rate (warmup, then cosine decay to 1e-5). */
  lr: number;
  /** Seed of the initialisation, batches and flips. */
  seed: number;
  /** Frames per subject of the pages' dataset (41 subjects, one sequence each). */
  frames: number;
  /** Evaluate the held-out F1 every this many steps. */
  every: number;
  /** Held-out frames evaluated (a fixed, evenly spaced subset of the test fold). */
  evalFrames: number;
};

/** Defaults, ranges (values outside are clamped) and URL keys of the page's settings. */
export const DETECTOR_RUN_SETTINGS = settingsSchema<DetectorRunSettings>(
  { steps: 80, batch: 16, lr: 1e-3, seed: 0, frames: 20, every: 10, evalFrames: 96 },
  {
    steps: { range: [1, 20_000], integer: true },
    batch: { range: [2, 128], integer: true },
    lr: { range: [1e-6, 1e-1] },
    seed: { range: [0, 2 ** 31 - 1], integer: true },
    frames: { range: [1, 120], integer: true },
    every: { range: [1, 1000], integer: true },
    evalFrames: { range: [8, 2000], integer: true, query: "eval" },
  },
);

/** Same constants as the CLI: AdamW weight decay 5e-4, learning-rate floor, warmup share. */
export const DETECTOR_WEIGHT_DECAY = DETECTOR_DEFAULTS.weightDecay;
export const DETECTOR_MIN_LR = DETECTOR_DEFAULTS.minLr;
export const DETECTOR_WARMUP_FRACTION = 0.1;

/** The pages' dataset at 64 px: 41 subjects x 1 sequence x `frames` frames. */
export function detectorRunDataConfig(s: Pick<DetectorRunSettings, "frames">): FaceDatasetConfig {
  return pageDataConfig({ frames: s.frames, size: 64 });
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
    data: { source: "synthetic", seed: PAGE_DATA_SEED, size: 64, generator: { subjects: PAGE_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: s.frames } },
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
  const s = DETECTOR_RUN_SETTINGS.normalize(settings);
  if (dataset.folds <= HELD_OUT_FOLD) throw new Error(`the dataset has ${dataset.folds} folds: cannot hold out fold ${HELD_OUT_FOLD + 1}`);
  const spec = detectorRunSpec(s);
  const evalSet = evenSubset(foldSplit(dataset, HELD_OUT_FOLD).test, s.evalFrames);
  const run = await createRun(spec, { dataset, dataDescription: describeData(spec.data, dataset) }, { callbacks, createdBy: `MaskAU Teacher page: ${equivalentCommand(s)}`, evalFrames: evalSet });
  return Object.assign(run, { settings: s, evalSet, train: run.trainFrames });
}

/** Faces the run's relation graph is averaged over (the first of the held-out subset). */
const GRAPH_FACES = 32;

/** What the detector session measures: held-out F1 over the run, and the relation graph of its weights. */
export interface DetectorMeasures {
  evals: EvalPoint[];
  /** The relation graph of the run's weights at the last evaluation. */
  graph: (RelationGraph & { step: number }) | null;
  /** The dataset's AUs (known once the faces are ready). */
  aus: number[];
}

export type DetectorSessionSnapshot = SessionSnapshot<DetectorRunSettings, DetectorMeasures>;

function lastF1(s: DetectorSessionSnapshot): string {
  const last = s.evals.at(-1);
  return last ? ` held-out mean F1 ${(100 * last.meanF1).toFixed(1)}%` : "";
}

/** The Teacher page's session kind (runs live in memory: no resume after a reload). */
export function detectorSessionKind({ datasets }: { datasets: DatasetSource }): SessionKind<DetectorRunSettings, DetectorPageRun, DetectorMeasures> {
  return {
    name: "detector training",
    normalize: DETECTOR_RUN_SETTINGS.normalize,
    totalSteps: (s) => s.steps,
    batch: (s) => s.batch,
    noMeasures: { evals: [], graph: null, aus: [] },
    async build(settings, { resume, callbacks, progress, turn }) {
      if (resume) throw new Error("detector runs of the Teacher page are not saved, so they cannot be resumed from storage");
      const { dataset, fromCache } = await datasets(detectorRunDataConfig(settings), (done, total) => progress(`Rendering faces ${done} / ${total}…`));
      progress(`${dataset.subject.length} faces ${fromCache ? "read from the cache" : "rendered"}; building the detector…`, { aus: dataset.aus.slice() });
      await turn();
      return createDetectorRun(settings, dataset, { onStep: callbacks.onStep });
    },
    async measure(run, snapshot) {
      const ev = await run.evaluate();
      const graph = await relationGraph(run.detector, gatherImages(run.dataset, run.evalSet.subarray(0, GRAPH_FACES)));
      const step = run.trainer.step;
      return { evals: [...snapshot.evals.filter((e) => e.step !== step), { step, meanF1: ev.meanF1, f1: ev.f1 }], graph: { ...graph, step } };
    },
    measureDue: (t, run) => t.step % run.settings.every === 0 || t.step === t.totalSteps,
    messages: {
      idle: "Press Start to train a detector in this browser.",
      training: (run) => `Training on ${run.train.length} faces; F1 on ${run.evalSet.length} held-out faces (fold ${HELD_OUT_FOLD + 1}) every ${run.settings.every} steps…`,
      paused: (run, s) => `Paused at step ${run.trainer.step};${lastF1(s)}. Resume continues the same run.`,
      completed: (run, s) => `Finished ${run.trainer.step} steps;${lastF1(s)}.`,
    },
  };
}
