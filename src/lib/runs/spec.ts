// A run as plain, serialisable data: what is trained (a registry model), on which
// data and fold, reading which input, with which optimiser settings and seed. The
// spec is all a run needs besides its resources (the dataset, an MAE, cached
// composites, initial weights): createRun(spec, resources) assembles the rest, the
// CLI builds specs from flags and the pages from their controls, and every
// checkpoint records the spec it was trained from.
import type { FaceDatasetConfig } from "../data/generate.js";
import { INPUT_KINDS, type InputKind } from "../eval/conditions.js";
import type { Fill } from "../masks/fill.js";
import {
  DETECTOR_DEFAULTS,
  PRETRAIN_DEFAULTS,
  resolveDetector,
  resolveMae,
  resolveStudent,
  STUDENT_DEFAULTS,
  type DetectorModelName,
  type MaeModelName,
  type StudentModelName,
  type TrainSettings,
} from "../registry.js";

/** Which faces: the built-in generator or a folder of ME-GraphAU lists. */
export interface DataSpec {
  /** "synthetic", "synthetic:bp4d", "synthetic:disfa", or a folder in the ME-GraphAU list format. */
  source: string;
  /** Seed of the synthetic generator. */
  seed: number;
  /** Image side in pixels. */
  size: number;
  /** Synthetic only: generator settings other than the preset's defaults (e.g. the pages' smaller sets). */
  generator?: Partial<Pick<FaceDatasetConfig, "subjects" | "sequencesPerSubject" | "framesPerSequence">>;
}

/** A model file a run reads (an MAE, the stage-1 weights it starts from): where, and the hash of its bytes. */
export interface ModelRef {
  /** A path (CLI) or a name the page resolves (e.g. "shipped:mae-tiny"). */
  path: string;
  /** FNV-1a 64 of the file's bytes, when known (keys the composite cache). */
  hash?: string;
}

interface RunBase {
  /** Data and the 1-based test fold held out of training (0: none). */
  data: DataSpec;
  fold: number;
  /** Training subjects held out as a validation set (choices are made on it, never on the test fold); 0: none. */
  valSubjects: number;
  /** Seed of the initialisation, batches, flips and masks. */
  seed: number;
  train: TrainSettings;
}

export interface PretrainSpec extends RunBase {
  kind: "pretrain";
  model: MaeModelName;
  /** Fraction of patches removed in training. */
  maskRatio: number;
}

export interface DetectorSpec extends RunBase {
  kind: "detector";
  model: DetectorModelName;
  /** 1: ANFL head, L_AU. 2: MEFL head, L_AU + lambda L_E. */
  stage: 1 | 2;
  /** What the detector reads. */
  input: InputKind;
  /** Occlusion of the occluded and composite inputs ("none" for clean). */
  occlusion: string;
  /** Paint of removed patches for the occluded input. */
  fill: Fill;
  /** The MAE that reconstructs composites (composite input). */
  mae: ModelRef | null;
  /** Composite input: cached occlusions per training face (1 = the evaluation's mask only). */
  compositeVariants: number;
  /** Stage 2: weight of the edge loss. */
  lambda: number;
  /** Weights to start from (backbone, global_linear and the head parts that match), e.g. a stage-1 checkpoint. */
  init: ModelRef | null;
}

/** The paper's student (§3.3): MAE latent of the occluded face -> alignment -> MEFL head, distilled from a frozen teacher. */
export interface StudentSpec extends RunBase {
  kind: "student";
  model: StudentModelName;
  /** Occlusion of the training faces (the student reads them occluded, the teacher their composites). */
  occlusion: string;
  /** Paint of the removed patches the student sees (as condition (b) shows them). */
  fill: Fill;
  /** The MAE: it reconstructs the teacher's composites and initialises the student's encoder. */
  mae: ModelRef;
  /** The stage-2 (MEFL) teacher, frozen. */
  teacher: ModelRef;
  /** Cached occlusions per training face (masks drawn per image and step among them). */
  compositeVariants: number;
  /** Weight of the student's own edge loss L_E. */
  lambda: number;
  /** Weight of the distillation loss (0: no distillation, the control). */
  alpha: number;
  /** Weight of edge KD inside L_kd. */
  beta: number;
  /** Temperature of edge KD. */
  temperature: number;
  /** Which KD terms: both (the paper), node only or edge only. */
  kd: "both" | "node" | "edge";
  /** The MAE encoder fine-tuned at encoderLrScale x the learning rate (the default), or frozen. */
  encoder: "finetune" | "frozen";
  encoderLrScale: number;
  /** The student's global_linear and MEFL head start from the teacher's, or fresh. */
  headInit: "teacher" | "fresh";
}

export type RunSpec = PretrainSpec | DetectorSpec | StudentSpec;
export type RunKind = RunSpec["kind"];

type SpecInput<S extends RunSpec> = Partial<Omit<S, "kind" | "train">> & { train?: Partial<TrainSettings> };

/** The parts every spec shares, with defaults: data (synthetic, seed 1, `size` px), fold 1, no validation subjects, seed 0. */
function baseOf(p: SpecInput<RunSpec>, size: number, defaults: TrainSettings): RunBase {
  return {
    data: p.data ?? { source: "synthetic", seed: 1, size },
    fold: p.fold ?? 1,
    valSubjects: p.valSubjects ?? 0,
    seed: p.seed ?? 0,
    train: { steps: defaults.steps, batch: defaults.batch, lr: defaults.lr, minLr: defaults.minLr, warmup: defaults.warmup, weightDecay: defaults.weightDecay, checkpointEvery: defaults.checkpointEvery, ...p.train },
  };
}

/** A pretraining spec with the registry's defaults for everything not given. */
export function pretrainSpec(p: SpecInput<PretrainSpec> = {}): PretrainSpec {
  const model = resolveMae(p.model ?? "mae/tiny");
  const spec: PretrainSpec = {
    kind: "pretrain",
    model: model.name,
    ...baseOf(p, model.config().imgSize, PRETRAIN_DEFAULTS),
    maskRatio: p.maskRatio ?? PRETRAIN_DEFAULTS.maskRatio,
  };
  checkSpec(spec);
  return spec;
}

/** A detector spec with the registry's defaults for everything not given. */
export function detectorSpec(p: SpecInput<DetectorSpec> = {}): DetectorSpec {
  const d = DETECTOR_DEFAULTS;
  const input = p.input ?? "clean";
  const spec: DetectorSpec = {
    kind: "detector",
    model: resolveDetector(p.model ?? "detector/resnet-tiny").name,
    ...baseOf(p, 64, d),
    stage: p.stage ?? 1,
    input,
    occlusion: input === "clean" ? "none" : (p.occlusion ?? "none"),
    fill: p.fill ?? "gray",
    mae: p.mae ?? null,
    compositeVariants: input === "composite" ? (p.compositeVariants ?? d.compositeVariants) : 1,
    lambda: p.lambda ?? d.lambda,
    init: p.init ?? null,
  };
  checkSpec(spec);
  return spec;
}

/** A student spec with the registry's defaults (alpha 1, beta 0.1, T 2, lambda 0.01) for everything not given. */
export function studentSpec(p: SpecInput<StudentSpec> & Pick<StudentSpec, "mae" | "teacher">): StudentSpec {
  const d = STUDENT_DEFAULTS;
  const spec: StudentSpec = {
    kind: "student",
    model: resolveStudent(p.model ?? "student/mae-tiny").name,
    ...baseOf(p, 64, d),
    occlusion: p.occlusion ?? "random:0.5",
    fill: p.fill ?? "gray",
    mae: p.mae,
    teacher: p.teacher,
    compositeVariants: p.compositeVariants ?? d.compositeVariants,
    lambda: p.lambda ?? d.lambda,
    alpha: p.alpha ?? d.alpha,
    beta: p.beta ?? d.beta,
    temperature: p.temperature ?? d.temperature,
    kd: p.kd ?? "both",
    encoder: p.encoder ?? "finetune",
    encoderLrScale: p.encoderLrScale ?? d.encoderLrScale,
    headInit: p.headInit ?? "teacher",
  };
  checkSpec(spec);
  return spec;
}

const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;

/** Throws, naming the field and the fix, when a spec cannot run. */
export function checkSpec(spec: RunSpec): void {
  const t = spec.train;
  if (!positiveInt(t.steps)) throw new Error(`steps must be a positive integer, got ${t.steps}`);
  if (!positiveInt(t.batch)) throw new Error(`batch must be a positive integer, got ${t.batch}`);
  if (!(t.lr > 0)) throw new Error(`lr must be > 0, got ${t.lr}`);
  if (!(t.minLr >= 0)) throw new Error(`minLr must be >= 0, got ${t.minLr}`);
  if (!(Number.isInteger(t.warmup) && t.warmup >= 0)) throw new Error(`warmup must be an integer >= 0, got ${t.warmup}`);
  if (!(t.weightDecay >= 0)) throw new Error(`weight decay must be >= 0, got ${t.weightDecay}`);
  if (!(Number.isInteger(spec.fold) && spec.fold >= 0)) throw new Error(`fold must be an integer >= 0 (0: none held out), got ${spec.fold}`);
  if (!(Number.isInteger(spec.valSubjects) && spec.valSubjects >= 0)) throw new Error(`validation subjects must be an integer >= 0, got ${spec.valSubjects}`);
  if (!Number.isInteger(spec.seed)) throw new Error(`seed must be an integer, got ${spec.seed}`);
  if (spec.kind === "pretrain") {
    if (!(spec.maskRatio > 0 && spec.maskRatio < 1)) throw new Error(`mask ratio must be between 0 and 1, got ${spec.maskRatio}`);
    return;
  }
  if (spec.kind === "student") {
    if (spec.occlusion === "none") throw new Error("a student needs an occlusion (e.g. --occlusion random:0.5 or block:0.3)");
    if (!spec.mae?.path) throw new Error("a student needs the MAE (--mae FILE): it makes the teacher's composites and initialises the encoder");
    if (!spec.teacher?.path) throw new Error("a student needs a stage-2 teacher (--teacher FILE)");
    if (!positiveInt(spec.compositeVariants)) throw new Error(`composite variants must be a positive integer, got ${spec.compositeVariants}`);
    for (const k of ["lambda", "alpha", "beta", "encoderLrScale"] as const) if (!(spec[k] >= 0)) throw new Error(`${k} must be >= 0, got ${spec[k]}`);
    if (!(spec.temperature > 0)) throw new Error(`temperature must be > 0, got ${spec.temperature}`);
    if (!["both", "node", "edge"].includes(spec.kd)) throw new Error(`kd must be both, node or edge, got ${spec.kd}`);
    if (spec.encoder !== "finetune" && spec.encoder !== "frozen") throw new Error(`encoder must be finetune or frozen, got ${spec.encoder}`);
    if (spec.headInit !== "teacher" && spec.headInit !== "fresh") throw new Error(`head init must be teacher or fresh, got ${spec.headInit}`);
    return;
  }
  if (spec.stage !== 1 && spec.stage !== 2) throw new Error(`stage must be 1 or 2, got ${spec.stage}`);
  if (!INPUT_KINDS.includes(spec.input)) throw new Error(`unknown input "${spec.input}": choose ${INPUT_KINDS.join(", ")}`);
  if (spec.input !== "clean" && spec.occlusion === "none") throw new Error(`input "${spec.input}" needs an occlusion (e.g. --occlusion random:0.5 or block:0.3)`);
  if (spec.input === "composite" && !spec.mae) throw new Error(`input composite needs the MAE that reconstructs the faces (--mae FILE)`);
  if (!positiveInt(spec.compositeVariants)) throw new Error(`composite variants must be a positive integer, got ${spec.compositeVariants}`);
  if (!(spec.lambda >= 0)) throw new Error(`lambda must be >= 0, got ${spec.lambda}`);
}

/** "clean", "occluded random:0.5", "composite block:0.3". */
export function inputLabel(spec: Pick<DetectorSpec, "input" | "occlusion">): string {
  return spec.input === "clean" ? "clean" : `${spec.input} ${spec.occlusion}`;
}
