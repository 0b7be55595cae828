// Distilling a shipped teacher into the student the way the Student & KD page does: the
// page's settings (kept in the URL), the run itself (a student run of the run layer, the
// same spec `maskau train student` builds, on the pages' small dataset), and the session
// kind the page's RunSession drives. Resources: the shipped tiny MAE twice (it makes the
// teacher's composites, computed here in chunks with progress, and a second instance
// initialises the student's encoder, which the student owns), and the frozen stage-2 (MEFL)
// teacher of the chosen occlusion. Every few steps the student is compared with the
// teacher on a fixed set of held-out faces (eval/teacher-student.ts): per-AU KL, F1 of
// both, and the outputs the page's side-by-side view draws. Each step reports its loss
// terms and the gradient norm of the encoder, the alignment and the head. No DOM here:
// the page (src/components/run-session.ts) adds IndexedDB and the event loop.
import type { DatasetSource } from "../data/cache.js";
import type { AUDataset } from "../data/dataset.js";
import { foldSplit } from "../data/folds.js";
import type { FaceDatasetConfig } from "../data/generate.js";
import { HELD_OUT_FOLD, PAGE_DATA_SEED, PAGE_SUBJECTS, pageDataConfig } from "../data/page-dataset.js";
import { compositesInChunks } from "../eval/composites.js";
import { compareWithTeacher, kdHeldOutSet, type KdComparison, type KdHeldOutSet } from "../eval/teacher-student.js";
import { decodeCheckpoint } from "../io/checkpoint.js";
import { parseOcclusion } from "../masks/spec.js";
import type { Detector } from "../models/detector.js";
import type { Mae } from "../models/mae.js";
import { STUDENT_DEFAULTS } from "../registry.js";
import { createRun, describeData, type CompositeSource, type StudentRun } from "../runs/create.js";
import type { SessionKind, SessionSnapshot } from "../runs/session.js";
import { studentSpec, type StudentSpec } from "../runs/spec.js";
import { settingsSchema } from "../settings-schema.js";
import type { TrainerCallbacks } from "./trainer.js";
import { evenSubset } from "./detector-browser.js";

/** The paper's two occlusions; each has its shipped teacher. */
export const PAGE_OCCLUSIONS = ["random:0.5", "block:0.3"] as const;
export type PageOcclusion = (typeof PAGE_OCCLUSIONS)[number];

/** The stage-2 (MEFL) teacher shipped for each occlusion, in src/checkpoints. */
export const SHIPPED_TEACHERS: Record<PageOcclusion, string> = {
  "random:0.5": "teacher-tiny-mefl-random0.5.safetensors",
  "block:0.3": "teacher-tiny-mefl-block0.3.safetensors",
};
export const SHIPPED_MAE = "mae-tiny.safetensors";

/** The share of a face's patches an occlusion removes (what the teacher's MAE does not encode): the ratio, or the block's area. */
export function removedShare(occlusion: PageOcclusion): number {
  const o = parseOcclusion(occlusion);
  return o.kind === "random" ? o.ratio : o.kind === "block" ? o.area : 0;
}

export type StudentRunSettings = {
  /** The occlusion of training and held-out faces; it picks the teacher. */
  occlusion: PageOcclusion;
  /** Weight of the distillation loss (0: the no-distillation control). */
  alpha: number;
  /** Weight of edge KD inside it. */
  beta: number;
  /** Temperature of edge KD. */
  temperature: number;
  /** The MAE encoder fine-tuned (at STUDENT_DEFAULTS.encoderLrScale x the learning rate), or frozen. */
  encoder: "finetune" | "frozen";
  steps: number;
  batch: number;
  /** Peak learning rate (warmup, then cosine decay). */
  lr: number;
  seed: number;
  /** Frames per subject of the pages' dataset (41 subjects, one sequence each). */
  frames: number;
  /** Compare with the teacher on the held-out faces every this many steps. */
  every: number;
  /** Held-out faces compared (an evenly spaced subset of the test fold). */
  evalFrames: number;
};

/** Defaults, ranges (values outside are clamped), choices and URL keys of the page's settings. */
export const STUDENT_RUN_SETTINGS = settingsSchema<StudentRunSettings>(
  { occlusion: "random:0.5", alpha: STUDENT_DEFAULTS.alpha, beta: STUDENT_DEFAULTS.beta, temperature: STUDENT_DEFAULTS.temperature, encoder: "finetune", steps: 150, batch: 8, lr: 1e-3, seed: 0, frames: 8, every: 10, evalFrames: 48 },
  {
    occlusion: { choices: PAGE_OCCLUSIONS, label: "occlusion" },
    alpha: { range: [0, 10] },
    beta: { range: [0, 10] },
    temperature: { range: [0.25, 20], query: "T" },
    encoder: { choices: ["finetune", "frozen"], label: "encoder mode" },
    steps: { range: [1, 20_000], integer: true },
    batch: { range: [2, 64], integer: true },
    lr: { range: [1e-6, 1e-1] },
    seed: { range: [0, 2 ** 31 - 1], integer: true },
    frames: { range: [1, 60], integer: true },
    every: { range: [1, 1000], integer: true },
    evalFrames: { range: [8, 400], integer: true, query: "eval" },
  },
);

/** Cached occlusions per training face (the CLI's default is 4; fewer here, since the browser computes them at each start). */
export const PAGE_COMPOSITE_VARIANTS = 2;
export const STUDENT_WARMUP_FRACTION = 0.1;

export function warmupSteps(steps: number): number {
  return Math.floor(steps * STUDENT_WARMUP_FRACTION);
}

/** The pages' dataset at 64 px: 41 subjects x 1 sequence x `frames` frames. */
export function studentRunDataConfig(s: Pick<StudentRunSettings, "frames">): FaceDatasetConfig {
  return pageDataConfig({ frames: s.frames, size: 64 });
}

/** Which module a student parameter belongs to (the gradient-norm groups). */
export function studentModule(name: string): "encoder" | "alignment" | "head" | null {
  if (name.startsWith("backbone.")) return "encoder";
  if (name.startsWith("align.")) return "alignment";
  if (name.startsWith("global_linear.") || name.startsWith("head.")) return "head";
  return null;
}

/** The `maskau train student` command that does the same distillation on the full default dataset. */
export function equivalentCommand(s: StudentRunSettings): string {
  return [
    `maskau train student --fold ${HELD_OUT_FOLD + 1} --occlusion ${s.occlusion} --mae src/checkpoints/${SHIPPED_MAE}`,
    `--teacher src/checkpoints/${SHIPPED_TEACHERS[s.occlusion]} --alpha ${s.alpha} --beta ${s.beta} --temperature ${s.temperature}`,
    `--encoder ${s.encoder} --steps ${s.steps} --batch ${s.batch} --lr ${s.lr} --warmup ${warmupSteps(s.steps)} --seed ${s.seed}`,
  ].join(" ");
}

/** The run spec of page settings: student/mae-tiny, fold 1 held out, the page's dataset and schedule. */
export function studentRunSpec(s: StudentRunSettings, checkpointEvery = 0): StudentSpec {
  const d = STUDENT_DEFAULTS;
  return studentSpec({
    model: "student/mae-tiny",
    data: { source: "synthetic", seed: PAGE_DATA_SEED, size: 64, generator: { subjects: PAGE_SUBJECTS, sequencesPerSubject: 1, framesPerSequence: s.frames } },
    fold: HELD_OUT_FOLD + 1,
    seed: s.seed,
    occlusion: s.occlusion,
    fill: "gray",
    mae: { path: `shipped:${SHIPPED_MAE}` },
    teacher: { path: `shipped:${SHIPPED_TEACHERS[s.occlusion]}` },
    compositeVariants: PAGE_COMPOSITE_VARIANTS,
    alpha: s.alpha,
    beta: s.beta,
    temperature: s.temperature,
    encoder: s.encoder,
    train: { steps: s.steps, batch: s.batch, lr: s.lr, minLr: Math.min(d.minLr, s.lr), warmup: warmupSteps(s.steps), weightDecay: d.weightDecay, checkpointEvery },
  });
}

/** The models a student run reads: the MAE for the composites, a second MAE instance (the student's encoder; the run owns it) and the frozen teacher. */
export interface StudentPageResources {
  mae: Mae;
  studentMae: Mae;
  teacher: Detector;
}

export interface StudentRunOptions {
  /** Trainer callbacks (progress, pause, saving). */
  callbacks?: Pick<TrainerCallbacks, "onStep" | "onCheckpoint">;
  /** Call onCheckpoint every this many steps. Default 0 (never). */
  checkpointEvery?: number;
  /** Who runs it (the page and its backend). */
  createdBy?: string;
  /** Resumable checkpoint bytes of the same settings to continue from (weights, BatchNorm statistics, optimizer, step). */
  resume?: Uint8Array;
  /** What is being computed (composites, held-out faces), in words. */
  progress?: (message: string) => void;
  /** Gives the page a turn between chunks of composites. */
  turn?: () => Promise<void>;
}

/** A page's student run: the run layer's run, the page settings, and the held-out faces it is compared with the teacher on. */
export type StudentPageRun = StudentRun & { settings: StudentRunSettings; evalSet: Int32Array; heldOut: KdHeldOutSet };

/** Composites in chunks of 64 faces, saying how far they are and giving the page a turn between chunks. */
function compositesWithProgress(mae: Mae, dataset: AUDataset, progress: (m: string) => void, turn: () => Promise<void>): CompositeSource {
  return compositesInChunks(mae, dataset, { progress: (label, done, total) => progress(`MAE composites for the teacher (${label}): ${done} / ${total} faces…`), turn });
}

/**
 * The distillation of page settings on `dataset` (studentRunDataConfig), through the run
 * layer. The teacher's composites of the training faces are computed here (with
 * progress); the held-out faces, their composites and the teacher's outputs on them once.
 */
export async function createStudentRun(settings: Partial<StudentRunSettings>, dataset: AUDataset, resources: StudentPageResources, options: StudentRunOptions = {}): Promise<StudentPageRun> {
  const s = STUDENT_RUN_SETTINGS.normalize(settings);
  const { mae, studentMae, teacher } = resources;
  if (dataset.folds <= HELD_OUT_FOLD) throw new Error(`the dataset has ${dataset.folds} folds: cannot hold out fold ${HELD_OUT_FOLD + 1}`);
  const progress = options.progress ?? (() => {});
  const turn = options.turn ?? (async () => {});
  const spec = studentRunSpec(s, options.checkpointEvery ?? 0);
  const evalSet = evenSubset(foldSplit(dataset, HELD_OUT_FOLD).test, s.evalFrames);
  const run = await createRun(spec, { dataset, dataDescription: describeData(spec.data, dataset), mae, studentMae, teacher, composites: compositesWithProgress(mae, dataset, progress, turn) }, {
    callbacks: options.callbacks,
    createdBy: `${options.createdBy ?? "MaskAU Student & KD page"}: ${equivalentCommand(s)}`,
    evalFrames: evalSet,
  });
  try {
    // The Trainer reads its config at every step: ask it for the modules' gradient norms.
    run.trainer.config.gradNormGroups = studentModule;
    if (options.resume) run.restore(decodeCheckpoint(options.resume, "the saved run"), "the saved run");
    progress(`Held-out faces: their composites and the teacher's outputs (${evalSet.length} faces)…`);
    await turn();
    const heldOut = await kdHeldOutSet(teacher, mae, dataset, evalSet, run.condition);
    return Object.assign(run, { settings: s, evalSet, heldOut });
  } catch (e) {
    run.dispose();
    throw e;
  }
}

/** The held-out comparison at one measurement, as the curves need it. */
export interface KdEvalPoint {
  step: number;
  /** Node KD per AU on the held-out faces. */
  klPerAu: number[];
  meanKl: number;
  studentMeanF1: number;
  teacherMeanF1: number;
}

/** What the student session measures. */
export interface StudentMeasures {
  /** The dataset's AUs (known once the faces are ready). */
  aus: number[];
  /** The held-out faces with the teacher's outputs (constant over a run). */
  heldOut: KdHeldOutSet | null;
  evals: KdEvalPoint[];
  /** The last comparison (the student's outputs at that step). */
  latest: KdComparison | null;
}

export type StudentSessionSnapshot = SessionSnapshot<StudentRunSettings, StudentMeasures>;

/** The shipped models, loaded by the page and kept across runs. */
export interface ShippedStudentModels {
  /** The MAE that makes the teacher's composites. */
  mae: Mae;
  /** A new instance of the same MAE: a run's student encoder (the run owns and disposes it). */
  studentEncoder(): Mae;
  /** The frozen stage-2 teacher of an occlusion. */
  teacher(occlusion: PageOcclusion): Promise<Detector>;
}

export interface StudentSessionOptions {
  datasets: DatasetSource;
  /** Backend name, recorded in the checkpoints. */
  backend: string;
  models: () => Promise<ShippedStudentModels>;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function lastEval(s: StudentSessionSnapshot): string {
  const e = s.evals.at(-1);
  return e ? ` held-out F1: student ${pct(e.studentMeanF1)}, teacher ${pct(e.teacherMeanF1)}; KL ${e.meanKl.toFixed(3)}` : "";
}

/** The Student & KD page's session kind (runs saved, so a reload can resume them). */
export function studentSessionKind(options: StudentSessionOptions): SessionKind<StudentRunSettings, StudentPageRun, StudentMeasures> {
  return {
    name: "distillation",
    normalize: STUDENT_RUN_SETTINGS.normalize,
    totalSteps: (s) => s.steps,
    batch: (s) => s.batch,
    noMeasures: { aus: [], heldOut: null, evals: [], latest: null },
    async build(settings, { resumeCheckpoint, callbacks, checkpointEvery, progress, turn }) {
      progress("Loading the shipped MAE and teacher…");
      const models = await options.models();
      const teacher = await models.teacher(settings.occlusion);
      const { dataset, fromCache } = await options.datasets(studentRunDataConfig(settings), (done, total) => progress(`Rendering faces ${done} / ${total}…`));
      progress(`${dataset.subject.length} faces ${fromCache ? "read from the cache" : "rendered"}; building the student…`, { aus: dataset.aus.slice() });
      await turn();
      return createStudentRun(settings, dataset, { mae: models.mae, studentMae: models.studentEncoder(), teacher }, {
        callbacks,
        checkpointEvery,
        createdBy: `MaskAU Student & KD page (${options.backend})`,
        resume: resumeCheckpoint ?? undefined,
        progress: (m) => progress(m),
        turn,
      });
    },
    async measure(run, snapshot) {
      const step = run.trainer.step;
      const latest = await compareWithTeacher(run.student, run.heldOut, step);
      const point: KdEvalPoint = { step, klPerAu: latest.klPerAu, meanKl: latest.meanKl, studentMeanF1: latest.studentScores.meanF1, teacherMeanF1: run.heldOut.teacherScores.meanF1 };
      return { heldOut: run.heldOut, aus: run.heldOut.aus, latest, evals: [...snapshot.evals.filter((e) => e.step !== step), point] };
    },
    measureDue: (t, run) => t.step % run.settings.every === 0 || t.step === t.totalSteps,
    messages: {
      idle: "Press Start to distil the shipped teacher into a student in this browser.",
      training: (run) =>
        `Distilling on ${run.trainFrames.length} faces occluded ${run.settings.occlusion}; compared with the teacher on ${run.evalSet.length} held-out faces (fold ${HELD_OUT_FOLD + 1}) every ${run.settings.every} steps…`,
      paused: (run, s) => `Paused at step ${run.trainer.step} and saved;${lastEval(s)}. Resume here or after a reload.`,
      completed: (run, s) => `Finished ${run.trainer.step} steps;${lastEval(s)}.`,
    },
  };
}
