// Training an AU detector the way the Teacher page does: ME-GraphAU stage 1 (tiny
// preset, ANFL head) on the pages' dataset, as a detector run of the run layer (the same
// spec `maskau train detector` builds). The teacher reads the shipped MAE's composites of
// faces occluded with the paper's random patches or block (computed here in chunks with
// progress), optionally starting from the shipped clean detector as `maskau reproduce
// table2` does; the clean detector reads clean faces. The session kind the page's
// RunSession drives measures the held-out F1 (on composites, for a teacher) on a fixed
// subset of the test fold and the learned relation graph every few steps. Settings are
// kept in the URL. No DOM here: the page (src/components/run-session.ts) adds the event loop.
import type { DatasetSource } from "../data/cache.js";
import type { AUDataset } from "../data/dataset.js";
import { foldSplit } from "../data/folds.js";
import { gatherImages } from "../data/frames.js";
import { compositesInChunks } from "../eval/composites.js";
import type { TensorData } from "../models/params.js";
import type { Mae } from "../models/mae.js";
import type { FaceDatasetConfig } from "../data/generate.js";
import { HELD_OUT_FOLD, PAGE_DATA_SEED, PAGE_SUBJECTS, pageDataConfig } from "../data/page-dataset.js";
import { relationGraph, type RelationGraph } from "../eval/relation-graph.js";
import { DETECTOR_DEFAULTS, TEACHER_FINETUNE_DEFAULTS } from "../registry.js";
import { createRun, describeData, type DetectorRun } from "../runs/create.js";
import type { SessionKind, SessionSnapshot } from "../runs/session.js";
import { detectorSpec, type DetectorSpec } from "../runs/spec.js";
import { settingsSchema } from "../settings-schema.js";
import type { TrainerCallbacks } from "./trainer.js";

/** What the detector reads: the MAE's composites of occluded faces (a teacher), or clean faces. */
export const DETECTOR_INPUTS = ["composite", "clean"] as const;
/** The paper's two occlusions of the teacher's faces. */
export const TEACHER_OCCLUSIONS = ["random:0.5", "block:0.3"] as const;
/** Where the weights start: the shipped clean detector (as `maskau reproduce table2`'s teachers), or fresh. */
export const DETECTOR_INITS = ["clean", "scratch"] as const;

/** The shipped checkpoints a page run reads, in src/checkpoints. */
export const SHIPPED_DETECTOR_MAE = "mae-tiny.safetensors";
export const SHIPPED_CLEAN_DETECTOR = "detector-tiny-clean.safetensors";

/** Cached occlusions per training face of a page teacher (the CLI's default is 4; fewer here, since the browser computes them at each start). */
export const PAGE_TEACHER_VARIANTS = 2;

export type DetectorRunSettings = {
  /** What the detector reads. */
  input: (typeof DETECTOR_INPUTS)[number];
  /** The occlusion of a teacher's faces (composite input). */
  occlusion: (typeof TEACHER_OCCLUSIONS)[number];
  /** Start from the shipped clean detector, or from scratch. */
  init: (typeof DETECTOR_INITS)[number];
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
  { input: "composite", occlusion: "random:0.5", init: "clean", steps: 80, batch: 16, lr: TEACHER_FINETUNE_DEFAULTS.lr, seed: 0, frames: 20, every: 10, evalFrames: 96 },
  {
    input: { choices: DETECTOR_INPUTS, label: "input" },
    // ?occlusion= is the page's one-face view's.
    occlusion: { choices: TEACHER_OCCLUSIONS, label: "occlusion", query: "train-occlusion" },
    init: { choices: DETECTOR_INITS, label: "initial weights" },
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
  const input = s.input === "composite" ? `--occlusion ${s.occlusion} --input composite --mae src/checkpoints/${SHIPPED_DETECTOR_MAE} --composite-variants ${PAGE_TEACHER_VARIANTS}` : "--occlusion none --input clean";
  const init = s.init === "clean" ? ` --init src/checkpoints/${SHIPPED_CLEAN_DETECTOR}` : "";
  return `maskau train detector --fold ${HELD_OUT_FOLD + 1} ${input} --stage 1 --preset tiny --steps ${s.steps} --batch ${s.batch} --lr ${s.lr} --warmup ${detectorWarmup(s)} --seed ${s.seed}${init}`;
}

export function warmupSteps(steps: number): number {
  return Math.floor(steps * DETECTOR_WARMUP_FRACTION);
}

/** Warmup steps of a run: a tenth of the steps, at most TEACHER_FINETUNE_DEFAULTS.warmup when fine-tuning the clean detector (as `maskau reproduce table2`). */
export function detectorWarmup(s: Pick<DetectorRunSettings, "steps" | "init">): number {
  return s.init === "clean" ? Math.min(warmupSteps(s.steps), TEACHER_FINETUNE_DEFAULTS.warmup) : warmupSteps(s.steps);
}

export interface EvalPoint {
  step: number;
  meanF1: number;
  f1: number[];
}

/** A page's detector run: the run layer's run plus the page settings and the held-out subset it evaluates. */
export type DetectorPageRun = DetectorRun & { settings: DetectorRunSettings; evalSet: Int32Array; train: Int32Array };

/** The run spec of page settings: tiny ResNet detector, stage 1, fold 1 held out; composites of the shipped MAE for a teacher. */
export function detectorRunSpec(s: DetectorRunSettings): DetectorSpec {
  const composite = s.input === "composite";
  return detectorSpec({
    model: "detector/resnet-tiny",
    data: { source: "synthetic", seed: PAGE_DATA_SEED, size: 64, generator: { subjects: PAGE_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: s.frames } },
    fold: HELD_OUT_FOLD + 1,
    seed: s.seed,
    stage: 1,
    input: s.input,
    occlusion: composite ? s.occlusion : "none",
    fill: "gray",
    mae: composite ? { path: `shipped:${SHIPPED_DETECTOR_MAE}` } : null,
    compositeVariants: composite ? PAGE_TEACHER_VARIANTS : 1,
    init: s.init === "clean" ? { path: `shipped:${SHIPPED_CLEAN_DETECTOR}` } : null,
    train: { steps: s.steps, batch: s.batch, lr: s.lr, minLr: Math.min(DETECTOR_MIN_LR, s.lr), warmup: detectorWarmup(s), weightDecay: DETECTOR_WEIGHT_DECAY, checkpointEvery: 0 },
  });
}

/** The shipped models a page run reads: the MAE (composite input) and the clean detector's tensors (init "clean"). */
export interface DetectorPageResources {
  mae?: Mae;
  clean?: Map<string, TensorData>;
}

export interface DetectorRunOptions {
  callbacks?: Pick<TrainerCallbacks, "onStep">;
  /** What is being computed (composites), in words. */
  progress?: (message: string) => void;
  /** Gives the page a turn between chunks of composites. */
  turn?: () => Promise<void>;
  /** Who runs it (the page and its backend). */
  createdBy?: string;
}

/**
 * The run of page settings on `dataset` (detectorRunDataConfig), through the run layer.
 * The task commits BatchNorm statistics after each update (its afterUpdate hook),
 * before the callbacks run; `evaluate()` measures the held-out subset.
 */
export async function createDetectorRun(
  settings: Partial<DetectorRunSettings>,
  dataset: AUDataset,
  resources: DetectorPageResources = {},
  options: DetectorRunOptions = {},
): Promise<DetectorPageRun> {
  const s = DETECTOR_RUN_SETTINGS.normalize(settings);
  if (dataset.folds <= HELD_OUT_FOLD) throw new Error(`the dataset has ${dataset.folds} folds: cannot hold out fold ${HELD_OUT_FOLD + 1}`);
  if (s.input === "composite" && !resources.mae) throw new Error(`a teacher reads composites: it needs the MAE (${SHIPPED_DETECTOR_MAE})`);
  if (s.init === "clean" && !resources.clean) throw new Error(`starting from the clean detector needs its weights (${SHIPPED_CLEAN_DETECTOR})`);
  const spec = detectorRunSpec(s);
  const test = foldSplit(dataset, HELD_OUT_FOLD).test;
  const evalSet = evenSubset(test, s.evalFrames);
  const progress = options.progress ?? (() => {});
  const turn = options.turn ?? (async () => {});
  // Only the evaluated subset of the test fold is ever read: its other faces need no composite.
  const testFrames = new Set(test);
  const evaluated = new Set(evalSet);
  const chunks = resources.mae ? compositesInChunks(resources.mae, dataset, { progress: (label, done, total) => progress(`MAE composites of the ${label} faces (${s.occlusion}): ${done} / ${total}…`), turn }) : null;
  const composites = chunks
    ? (frames: Int32Array, occlusion: Parameters<typeof chunks>[1], variant: number, label: string) =>
        chunks(frames.filter((f) => !testFrames.has(f) || evaluated.has(f)), occlusion, variant, label.trim() === "test" ? "held-out" : label)
    : undefined;
  const run = await createRun(
    spec,
    { dataset, dataDescription: describeData(spec.data, dataset), mae: s.input === "composite" ? resources.mae : undefined, composites, init: s.init === "clean" ? resources.clean : undefined },
    { callbacks: options.callbacks, createdBy: `${options.createdBy ?? "MaskAU Teacher page"}: ${equivalentCommand(s)}`, evalFrames: evalSet },
  );
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

export interface DetectorSessionOptions {
  datasets: DatasetSource;
  /** Loads the shipped MAE and the clean detector's tensors (asked for by teacher and fine-tuning runs only). */
  models?: () => Promise<Required<DetectorPageResources>>;
  /** Backend name, recorded in the checkpoints. */
  backend?: string;
}

/** The Teacher page's session kind (runs live in memory: no resume after a reload; the checkpoint can be downloaded). */
export function detectorSessionKind({ datasets, models, backend }: DetectorSessionOptions): SessionKind<DetectorRunSettings, DetectorPageRun, DetectorMeasures> {
  return {
    name: "detector training",
    normalize: DETECTOR_RUN_SETTINGS.normalize,
    totalSteps: (s) => s.steps,
    batch: (s) => s.batch,
    noMeasures: { evals: [], graph: null, aus: [] },
    async build(settings, { resume, callbacks, progress, turn }) {
      if (resume) throw new Error("detector runs of the Teacher page are not saved, so they cannot be resumed from storage");
      const needs = settings.input === "composite" || settings.init === "clean";
      if (needs && !models) throw new Error("this run needs the shipped MAE or clean detector, and the page gave no way to load them");
      if (needs) progress("Loading the shipped MAE and clean detector…");
      const resources = needs ? await models!() : {};
      const { dataset, fromCache } = await datasets(detectorRunDataConfig(settings), (done, total) => progress(`Rendering faces ${done} / ${total}…`));
      progress(`${dataset.subject.length} faces ${fromCache ? "read from the cache" : "rendered"}; building the detector…`, { aus: dataset.aus.slice() });
      await turn();
      return createDetectorRun(settings, dataset, resources, {
        callbacks: { onStep: callbacks.onStep },
        progress: (m) => progress(m),
        turn,
        createdBy: `MaskAU Teacher page${backend ? ` (${backend})` : ""}`,
      });
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
      training: (run) =>
        `Training ${run.settings.input === "composite" ? `a teacher on the MAE composites of ${run.train.length} faces occluded ${run.settings.occlusion}` : `on ${run.train.length} clean faces`}` +
        `${run.settings.init === "clean" ? ", from the clean detector" : ""}; F1 on ${run.evalSet.length} held-out faces (fold ${HELD_OUT_FOLD + 1}) every ${run.settings.every} steps…`,
      paused: (run, s) => `Paused at step ${run.trainer.step};${lastF1(s)}. Resume continues the same run.`,
      completed: (run, s) => `Finished ${run.trainer.step} steps;${lastF1(s)}.`,
    },
  };
}
