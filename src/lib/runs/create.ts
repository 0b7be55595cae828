// createRun(spec, resources): the one place where a run is assembled. From a RunSpec
// and what the environment has loaded (the dataset, an MAE, a composite store, the
// weights to start from) it builds the model from the registry, the task, AdamW and
// the Trainer, the checkpoint metadata (recording the spec) and the evaluation hooks.
// The CLI (runs/node.ts) and the pages' sessions only add their I/O: where
// checkpoints go, progress bars or a UI, and persistence.
//
//   spec -> registry (model + defaults) -> task (what a step computes) -> Trainer
//        -> checkpoints (resumable every N steps; the final one with metrics) -> record
import type { AUDataset } from "../data/dataset.js";
import { foldSplit, validationSplit } from "../data/folds.js";
import { faceConfigKey, faceDatasetConfig, type FaceDatasetConfig } from "../data/generate.js";
import { buildComposites } from "../eval/composites.js";
import type { FrameImages } from "../data/frames.js";
import type { ConditionSpec } from "../eval/conditions.js";
import { formatOcclusion, parseOcclusion, type OcclusionSpec } from "../masks/spec.js";
import { evaluateDetector, type Evaluation } from "../eval/evaluate.js";
import { checkpointBuffers, checkpointToTrainState, encodeCheckpoint, encodeTrainState, type CheckpointMetaInput, type DecodedCheckpoint } from "../io/checkpoint.js";
import { createDetector, detectorModelKind, type Detector } from "../models/detector.js";
import { createMae, type Mae } from "../models/mae.js";
import type { TensorData } from "../models/params.js";
import { PRETRAIN_DEFAULTS, resolveDetector, resolveMae, resolveStudent } from "../registry.js";
import { AdamW } from "../train/adamw.js";
import { DetectorTrainTask } from "../train/detector-task.js";
import { MaePretrainTask } from "../train/mae-task.js";
import { StudentKdTask } from "../train/student-task.js";
import type { TeacherTargets } from "../train/teacher-targets.js";
import { Trainer, type TrainTask, type TrainerCallbacks, type TrainerConfig, type TrainState } from "../train/trainer.js";
import { checkSpec, inputLabel, type DataSpec, type DetectorSpec, type PretrainSpec, type RunSpec, type StudentSpec } from "./spec.js";

/** Patch side of occlusion masks when no MAE fixes it (the tiny MAE's patch at 64 px). */
export const DEFAULT_PATCH = 8;

/** Composites of `frames` under an occlusion (variant v's masks); the environment may cache them. */
export type CompositeSource = (frames: Int32Array, occlusion: OcclusionSpec, variant: number, label: string) => Promise<FrameImages>;

export interface RunResources {
  dataset: AUDataset;
  /** The dataset as checkpoint metadata describes it (describeData). */
  dataDescription: Record<string, unknown>;
  /** Composite input: the loaded MAE of spec.mae. */
  mae?: Mae;
  /** Composite input: where composites come from (default: computed, uncached). */
  composites?: CompositeSource;
  /** spec.init: the tensors to start from. */
  init?: Map<string, TensorData>;
  /** Student runs: the frozen teacher, and an MAE instance for the student's encoder (the student owns and disposes it). */
  teacher?: Detector;
  studentMae?: Mae;
  /**
   * Student runs: the teacher's outputs on every training input, computed once (in Node,
   * cached on disk for every student of the same teacher), or undefined to run the teacher
   * each step. `draws` is how many inputs the run will draw (steps x batch).
   */
  teacherTargets?: TeacherTargetSource;
}

export type TeacherTargetSource = (
  frames: Int32Array,
  composites: readonly FrameImages[],
  plan: { draws: number; batch: number },
) => Promise<TeacherTargets | undefined>;

export interface RunOptions {
  /** Progress, pause and stop (onStep may return "stop"); onCheckpoint sees each state (a page saves it its own way). */
  callbacks?: Pick<TrainerCallbacks, "onStep" | "onCheckpoint">;
  /** Receives every checkpoint: resumable ones every `checkpointEvery` steps, then the final one. */
  save?: (bytes: Uint8Array, info: { step: number; final: boolean }) => Promise<void>;
  /** Keep the optimizer state in the final checkpoint (to continue training it). Default false. */
  optimizerState?: boolean;
  /** The command or page that runs this spec (recorded as createdBy). */
  createdBy: string;
  /** Detector runs: the frames evaluated at the end (default: the whole test fold, none when the spec holds out validation subjects). */
  evalFrames?: Int32Array;
  onEvalProgress?: (done: number, total: number) => void;
  /** Notes for the user (what was initialised, ...). */
  log?: (line: string) => void;
}

interface RunCommon {
  readonly trainer: Trainer;
  readonly optimizer: AdamW;
  readonly dataset: AUDataset;
  /** Frames the run trains on, validation frames (training subjects held out) and the test fold's frames. */
  readonly trainFrames: Int32Array;
  readonly valFrames: Int32Array;
  readonly testFrames: Int32Array;
  /** Checkpoint metadata of the run (spec, model, config, dataset, seed, createdBy). */
  readonly meta: Omit<CheckpointMetaInput, "trainer">;
  /** Continues from a resumable checkpoint written by the same spec. */
  restore(ckpt: DecodedCheckpoint, source?: string): void;
  /** Trains to `untilStep` (default: the end), writing checkpoints through options.save. */
  run(untilStep?: number): Promise<"completed" | "stopped">;
  dispose(): void;
}

export interface PretrainRun extends RunCommon {
  readonly kind: "pretrain";
  readonly spec: PretrainSpec;
  readonly mae: Mae;
  /** Resumable checkpoint bytes of a state. */
  encodeState(state: TrainState): Uint8Array;
}

/** Detector and student runs: evaluated at the end (test fold, or validation subjects). */
interface EvaluatedRun extends RunCommon {
  /** What the model reads at test time. */
  readonly condition: ConditionSpec;
  /** Resumable checkpoint bytes of a state (BatchNorm statistics read from the model). */
  encodeState(state: TrainState): Promise<Uint8Array>;
  /** Per-AU F1 of the current weights on `frames` (default: options.evalFrames or the test fold). */
  evaluate(frames?: Int32Array, onProgress?: (done: number, total: number) => void): Promise<Evaluation>;
  /** The evaluation stored in the final checkpoint (set when the run completes). */
  readonly evaluation: Evaluation | undefined;
  /** Per-AU F1 on the validation subjects (spec.valSubjects > 0), set when the run completes. */
  readonly validation: Evaluation | undefined;
}

export interface DetectorRun extends EvaluatedRun {
  readonly kind: "detector";
  readonly spec: DetectorSpec;
  readonly detector: Detector;
}

/** A student run; its condition is the occluded faces (condition (b)'s masks and fill). */
export interface StudentRun extends EvaluatedRun {
  readonly kind: "student";
  readonly spec: StudentSpec;
  readonly student: Detector;
  readonly teacher: Detector;
  readonly task: StudentKdTask;
}

export type Run = PretrainRun | DetectorRun | StudentRun;

/** The generator config of a synthetic DataSpec. */
export function syntheticConfig(data: DataSpec): FaceDatasetConfig {
  const m = /^synthetic(?::(bp4d|disfa))?$/.exec(data.source);
  if (!m) throw new Error(`"${data.source}" is not a synthetic dataset (synthetic, synthetic:bp4d or synthetic:disfa)`);
  return faceDatasetConfig({ preset: (m[1] ?? "bp4d") as "bp4d" | "disfa", seed: data.seed, size: data.size, ...data.generator });
}

export function isSynthetic(data: DataSpec): boolean {
  return data.source.startsWith("synthetic");
}

/** What checkpoint metadata says of a run's dataset. */
export function describeData(data: DataSpec, dataset: AUDataset): Record<string, unknown> {
  if (isSynthetic(data)) {
    const config = syntheticConfig(data);
    return { name: dataset.name, kind: "synthetic", key: faceConfigKey(config), config, frames: dataset.subject.length };
  }
  return { name: dataset.name, kind: "megraphau", path: data.source, frames: dataset.subject.length };
}

/** Train, validation and test frames of a spec: the test fold, then `valSubjects` training subjects held out. */
export function splitOf(dataset: AUDataset, spec: Pick<RunSpec, "fold" | "valSubjects">): { train: Int32Array; val: Int32Array; test: Int32Array } {
  const { fold } = spec;
  if (fold > dataset.folds) throw new Error(`fold ${fold}: the dataset has folds 1..${dataset.folds}`);
  const { train, test } = fold === 0 ? { train: Int32Array.from({ length: dataset.subject.length }, (_, i) => i), test: new Int32Array(0) } : foldSplit(dataset, fold - 1);
  return { ...validationSplit(dataset, train, spec.valSubjects ?? 0, fold), test };
}

function trainerConfigOf(spec: RunSpec): TrainerConfig {
  const t = spec.train;
  return { steps: t.steps, lr: t.lr, minLr: t.minLr, warmupSteps: t.warmup, checkpointEvery: t.checkpointEvery };
}

/** Tensors of `all` that are not trained (BatchNorm statistics, fixed embeddings): saved beside the optimizer state. */
function buffersOf(all: Map<string, TensorData>, trainable: Record<string, unknown>): Map<string, TensorData> {
  return new Map([...all].filter(([n]) => !(n in trainable)));
}

/** The detector condition a spec describes (patch = the MAE's, else DEFAULT_PATCH). */
export function conditionOf(spec: DetectorSpec, mae?: Mae): ConditionSpec {
  const patch = mae ? mae.config.patchSize : DEFAULT_PATCH;
  return { input: spec.input, occlusion: parseOcclusion(spec.input === "clean" ? "none" : spec.occlusion), fill: spec.fill, patch };
}

export async function createRun(spec: PretrainSpec, resources: RunResources, options: RunOptions): Promise<PretrainRun>;
export async function createRun(spec: DetectorSpec, resources: RunResources, options: RunOptions): Promise<DetectorRun>;
export async function createRun(spec: StudentSpec, resources: RunResources, options: RunOptions): Promise<StudentRun>;
export async function createRun(spec: RunSpec, resources: RunResources, options: RunOptions): Promise<Run>;
export async function createRun(spec: RunSpec, resources: RunResources, options: RunOptions): Promise<Run> {
  checkSpec(spec);
  if (spec.kind === "pretrain") return createPretrainRun(spec, resources, options);
  if (spec.kind === "detector") return createDetectorRun(spec, resources, options);
  return createStudentRun(spec, resources, options);
}

async function createPretrainRun(spec: PretrainSpec, { dataset, dataDescription }: RunResources, options: RunOptions): Promise<PretrainRun> {
  const entry = resolveMae(spec.model);
  const config = entry.config();
  if (dataset.size !== config.imgSize) throw new Error(`the dataset has ${dataset.size} px images but ${entry.name} takes ${config.imgSize} px`);
  const { train, val, test } = splitOf(dataset, spec);
  const mae = createMae(config, { seed: spec.seed });
  const optimizer = new AdamW({ betas: [...PRETRAIN_DEFAULTS.betas], weightDecay: spec.train.weightDecay });
  const task = new MaePretrainTask(mae, dataset, train, { batchSize: spec.train.batch, maskRatio: spec.maskRatio, seed: spec.seed });
  const meta: Omit<CheckpointMetaInput, "trainer"> & { spec: RunSpec; modelName: string } = {
    model: "mae",
    modelName: entry.name,
    config: { preset: entry.preset, ...config },
    dataset: { ...dataDescription, heldOutFold: spec.fold },
    seed: spec.seed,
    createdBy: options.createdBy,
    spec,
  };
  // The MAE's only buffers are its fixed position embeddings: read once.
  const buffers = buffersOf(await mae.params.stateDict(), mae.trainable());
  const encodeState = (state: TrainState) => encodeTrainState(state, meta, buffers);
  const trainer = new Trainer(task, trainerConfigOf(spec), optimizer, {
    onStep: options.callbacks?.onStep,
    onCheckpoint: async (state) => {
      await options.callbacks?.onCheckpoint?.(state);
      if (!options.save) return;
      const final = state.step >= spec.train.steps;
      const bytes =
        final && !options.optimizerState
          ? encodeCheckpoint(await mae.params.stateDict(), {
              ...meta,
              step: state.step,
              metrics: { loss: state.history.at(-1)?.loss ?? NaN },
              history: state.history.map(({ step, loss, lr }) => ({ step, loss, lr })),
            })
          : encodeState(state);
      await options.save(bytes, { step: state.step, final });
    },
  });
  return {
    kind: "pretrain",
    spec,
    mae,
    trainer,
    optimizer,
    dataset,
    trainFrames: train,
    valFrames: val,
    testFrames: test,
    meta,
    encodeState,
    restore(ckpt, source = "checkpoint") {
      trainer.restore(checkpointToTrainState(ckpt, source));
      // A resumed run ends exactly as the uninterrupted one would: keep who started it.
      if (ckpt.meta?.createdBy) meta.createdBy = ckpt.meta.createdBy;
    },
    run: (untilStep) => runUntil(trainer, untilStep),
    dispose() {
      optimizer.dispose();
      mae.dispose();
    },
  };
}

/** Trains up to `untilStep`; a run already there is left as it is (no step, no checkpoint). */
async function runUntil(trainer: Trainer, untilStep = trainer.config.steps): Promise<"completed" | "stopped"> {
  if (trainer.step < Math.min(untilStep, trainer.config.steps)) return trainer.run(untilStep);
  return trainer.step >= trainer.config.steps ? "completed" : "stopped";
}

function f1Metrics(ev: Evaluation): Record<string, number> {
  const m: Record<string, number> = { meanF1: ev.meanF1, meanAcc: ev.meanAcc };
  ev.aus.forEach((au, i) => (m[`f1/AU${au}`] = ev.f1[i]));
  return m;
}

/** Checkpoint metadata of a detector or student run: the spec, the model, its config, the AU weights and the folds. */
function graphModelMeta(
  spec: DetectorSpec | StudentSpec,
  model: string,
  modelName: string,
  dataset: AUDataset,
  dataDescription: Record<string, unknown>,
  options: RunOptions,
  auWeights: Float32Array,
  config: Record<string, unknown>,
): Omit<CheckpointMetaInput, "trainer"> & { spec: RunSpec; modelName: string } {
  const trainFolds = Array.from({ length: dataset.folds }, (_, i) => i + 1).filter((k) => k !== spec.fold);
  return {
    model,
    modelName,
    config: { ...config, auWeights: Array.from(auWeights), aus: dataset.aus },
    dataset: { ...dataDescription, testFold: spec.fold, trainFolds },
    seed: spec.seed,
    createdBy: options.createdBy,
    spec,
  };
}

/**
 * What detector and student runs share: the Trainer, resumable checkpoints every N steps,
 * the final evaluation (test fold, or the validation subjects when the spec holds some
 * out) written into the final checkpoint's metrics, exact restore, and disposal.
 */
function evaluatedTraining(p: {
  spec: DetectorSpec | StudentSpec;
  model: Detector;
  task: TrainTask & { dispose(): void };
  optimizer: AdamW;
  meta: Omit<CheckpointMetaInput, "trainer">;
  options: RunOptions;
  val: Int32Array;
  test: Int32Array;
  evaluate: (frames: Int32Array, onProgress?: (done: number, total: number) => void) => Promise<Evaluation>;
}) {
  const { spec, model, task, optimizer, meta, options, val, test } = p;
  // A run with a validation set is for making choices: it does not look at the test fold.
  const evalFrames = options.evalFrames ?? (val.length > 0 ? new Int32Array(0) : test);
  const evaluate = (frames = evalFrames, onProgress = options.onEvalProgress) => p.evaluate(frames, onProgress);
  const buffers = async () => buffersOf(await model.stateDict(), task.variables);
  const encodeState = async (state: TrainState) => encodeTrainState(state, { ...meta, step: state.step }, await buffers());
  let evaluation: Evaluation | undefined;
  let validation: Evaluation | undefined;
  const evaluateEnd = async () => {
    if (!evaluation && evalFrames.length > 0) evaluation = await evaluate();
    if (!validation && val.length > 0) validation = await evaluate(val);
  };
  const trainer = new Trainer(task, trainerConfigOf(spec), optimizer, {
    onStep: options.callbacks?.onStep,
    onCheckpoint: async (state) => {
      await options.callbacks?.onCheckpoint?.(state);
      const final = state.step >= spec.train.steps;
      if (!final) {
        if (options.save) await options.save(await encodeState(state), { step: state.step, final });
        return;
      }
      await evaluateEnd();
      if (!options.save) return;
      const metrics = {
        loss: state.history.at(-1)?.loss ?? NaN,
        ...(evaluation ? f1Metrics(evaluation) : {}),
        ...(validation ? Object.fromEntries(Object.entries(f1Metrics(validation)).map(([k, v]) => [`val/${k}`, v])) : {}),
      };
      // The loss curve (every 5th step and the last, with the loss terms) stays with a weights-only file.
      const history = state.history
        .filter((h, i) => h.step % 5 === 0 || i === state.history.length - 1)
        .map((h) => ({ step: h.step, loss: h.loss, lr: h.lr, ...h.metrics }));
      const bytes = options.optimizerState
        ? encodeTrainState(state, { ...meta, step: state.step, metrics }, await buffers())
        : encodeCheckpoint(await model.stateDict(), { ...meta, step: state.step, metrics, history });
      await options.save(bytes, { step: state.step, final });
    },
  });
  return {
    trainer,
    optimizer,
    encodeState,
    evaluate,
    restore(ckpt: DecodedCheckpoint, source = "checkpoint") {
      trainer.restore(checkpointToTrainState(ckpt, source));
      model.load(checkpointBuffers(ckpt), { strict: false, source });
    },
    async run(untilStep?: number) {
      const reason = await runUntil(trainer, untilStep);
      // A finished run that was resumed: evaluate what is there.
      if (reason === "completed") await evaluateEnd();
      return reason;
    },
    get evaluation() {
      return evaluation;
    },
    get validation() {
      return validation;
    },
    dispose() {
      task.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

async function createDetectorRun(spec: DetectorSpec, resources: RunResources, options: RunOptions): Promise<DetectorRun> {
  const { dataset, dataDescription } = resources;
  const entry = resolveDetector(spec.model);
  const { train, val, test } = splitOf(dataset, spec);
  if (spec.input === "composite" && !resources.mae) throw new Error("input composite needs the MAE that reconstructs the faces (--mae FILE)");
  const condition = conditionOf(spec, resources.mae);
  const composites: CompositeSource =
    resources.composites ?? ((frames, occlusion, variant) => buildComposites(resources.mae!, dataset, frames, occlusion, { variant }));
  let trainComposites: FrameImages[] | undefined;
  let testComposites: FrameImages | undefined;
  let valComposites: FrameImages | undefined;
  const variants = spec.compositeVariants;
  if (condition.input === "composite") {
    trainComposites = [];
    for (let v = 0; v < variants; v++) trainComposites.push(await composites(train, condition.occlusion, v, variants > 1 ? `train ${v + 1}/${variants}` : "train"));
    if (test.length > 0) testComposites = await composites(test, condition.occlusion, 0, "test ");
    if (val.length > 0) valComposites = await composites(val, condition.occlusion, 0, "val ");
  }
  const cfg = entry.config({ head: spec.stage === 1 ? "anfl" : "mefl", numClasses: dataset.aus.length });
  const detector = createDetector(cfg, { seed: spec.seed });
  const optimizer = new AdamW({ weightDecay: spec.train.weightDecay });
  let task: DetectorTrainTask;
  try {
    if (resources.init) {
      const source = spec.init?.path ?? "initial weights";
      const report = detector.load(resources.init, { strict: false, source });
      const loaded = detector.names().filter((n) => !report.missing.includes(n) && !report.misShaped.some((m) => m.name === n));
      if (!loaded.some((n) => n.startsWith("backbone.")) || !loaded.some((n) => n.startsWith("global_linear."))) {
        throw new Error(`${source}: no backbone / global_linear weights matched this detector (${entry.name})`);
      }
      options.log?.(`initialised ${loaded.length} of ${detector.names().length} tensors from ${source}`);
    }
    task = new DetectorTrainTask(detector, dataset, train, { batchSize: spec.train.batch, seed: spec.seed, condition, composites: trainComposites, lambda: spec.lambda });
  } catch (e) {
    detector.dispose();
    optimizer.dispose();
    throw e;
  }
  const meta = graphModelMeta(spec, detectorModelKind(cfg.head), entry.name, dataset, dataDescription, options, task.auWeights, {
    detector: cfg,
    preset: entry.preset,
    stage: spec.stage,
    condition: { input: condition.input, occlusion: formatOcclusion(condition.occlusion), fill: condition.fill, patch: condition.patch },
    mae: spec.mae,
    train: {
      ...spec.train,
      lambda: spec.stage === 2 ? spec.lambda : null,
      init: spec.init?.path ?? null,
      compositeVariants: condition.input === "composite" ? variants : null,
    },
  });
  const core = evaluatedTraining({
    spec,
    model: detector,
    task,
    optimizer,
    meta,
    options,
    val,
    test,
    evaluate: (frames, onProgress) =>
      evaluateDetector(detector, dataset, frames, { condition, composites: frames.length > 0 && valComposites?.has(frames[0]) ? valComposites : testComposites, onProgress }),
  });
  return Object.assign(core, { kind: "detector" as const, spec, detector, condition, dataset, trainFrames: train, testFrames: test, valFrames: val, meta });
}

/** Names of the student's parameters that belong to the MAE encoder (fine-tuned at a lower rate, or frozen). */
export function isEncoderParam(name: string): boolean {
  return name.startsWith("backbone.");
}

async function createStudentRun(spec: StudentSpec, resources: RunResources, options: RunOptions): Promise<StudentRun> {
  const { dataset, dataDescription, teacher, mae } = resources;
  if (!teacher) throw new Error(`a student run needs its teacher loaded (${spec.teacher.path})`);
  if (!mae || !resources.studentMae) throw new Error(`a student run needs the MAE loaded twice (${spec.mae.path}): for the teacher's composites and for the student's encoder`);
  if (teacher.config.head !== "mefl") throw new Error(`${spec.teacher.path} is a stage-${teacher.config.head === "anfl" ? 1 : 2} (${teacher.config.head}) detector: distillation at edge level needs a stage-2 (MEFL) teacher`);
  const entry = resolveStudent(spec.model);
  const { train, val, test } = splitOf(dataset, spec);
  const occlusion = parseOcclusion(spec.occlusion);
  const patch = mae.config.patchSize;
  const condition: ConditionSpec = { input: "occluded", occlusion, fill: spec.fill, patch };
  const composites: CompositeSource = resources.composites ?? ((frames, occ, variant) => buildComposites(mae, dataset, frames, occ, { variant }));
  const trainComposites: FrameImages[] = [];
  for (let v = 0; v < spec.compositeVariants; v++) {
    trainComposites.push(await composites(train, occlusion, v, spec.compositeVariants > 1 ? `train ${v + 1}/${spec.compositeVariants}` : "train"));
  }
  const cfg = entry.config({ numClasses: dataset.aus.length, frozen: spec.encoder === "frozen" });
  const student = createDetector(cfg, { seed: spec.seed, mae: resources.studentMae });
  const optimizer = new AdamW({ weightDecay: spec.train.weightDecay, lrScale: (name) => (isEncoderParam(name) ? spec.encoderLrScale : 1) });
  let task: StudentKdTask;
  try {
    if (spec.headInit === "teacher") {
      const head = new Map([...(await teacher.stateDict())].filter(([n]) => !n.startsWith("backbone.")));
      const report = student.load(head, { strict: false, source: spec.teacher.path });
      const misShaped = report.misShaped.map((m) => m.name);
      if (misShaped.length || report.unexpected.length) {
        throw new Error(`${spec.teacher.path}: the teacher's head does not fit this student (${[...misShaped, ...report.unexpected].slice(0, 4).join(", ")}); use --head-init fresh`);
      }
      options.log?.(`student head initialised from ${spec.teacher.path} (${head.size} tensors)`);
    }
    const targets = await resources.teacherTargets?.(train, trainComposites, { draws: spec.train.steps * spec.train.batch, batch: spec.train.batch });
    task = new StudentKdTask(student, teacher, dataset, train, {
      targets,
      batchSize: spec.train.batch,
      seed: spec.seed,
      occlusion,
      patch,
      fill: spec.fill,
      composites: trainComposites,
      lambda: spec.lambda,
      alpha: spec.alpha,
      beta: spec.beta,
      temperature: spec.temperature,
      kd: spec.kd,
    });
    if (targets) {
      const same = await task.checkTargets();
      options.log?.(same
        ? `teacher outputs precomputed for ${targets.data.length / targets.width} inputs: the teacher does not run during training`
        : "precomputed teacher outputs differ from what the teacher gives here: the teacher runs every step");
    }
  } catch (e) {
    student.dispose();
    optimizer.dispose();
    throw e;
  }
  const meta = graphModelMeta(spec, "student", entry.name, dataset, dataDescription, options, task.auWeights, {
    detector: cfg,
    preset: entry.preset,
    condition: { input: "occluded", occlusion: formatOcclusion(occlusion), fill: spec.fill, patch },
    mae: spec.mae,
    teacher: spec.teacher,
    kd: { alpha: spec.alpha, beta: spec.beta, temperature: spec.temperature, lambda: spec.lambda, terms: spec.kd },
    train: { ...spec.train, encoder: spec.encoder, encoderLrScale: spec.encoderLrScale, headInit: spec.headInit, compositeVariants: spec.compositeVariants },
  });
  const core = evaluatedTraining({
    spec,
    model: student,
    task,
    optimizer,
    meta,
    options,
    val,
    test,
    evaluate: (frames, onProgress) => evaluateDetector(student, dataset, frames, { condition, onProgress }),
  });
  return Object.assign(core, { kind: "student" as const, spec, student, teacher, task, condition, dataset, trainFrames: train, testFrames: test, valFrames: val, meta });
}

/** "detector/resnet-tiny stage 1, composite random:0.5, fold 1 held out, seed 0". */
export function describeSpec(spec: RunSpec): string {
  const held = spec.fold ? `fold ${spec.fold} held out` : "no fold held out";
  if (spec.kind === "pretrain") return `${spec.model} pretraining (mask ratio ${spec.maskRatio}), ${held}, seed ${spec.seed}`;
  if (spec.kind === "student") return `${spec.model} distilled from ${spec.teacher.path} (alpha ${spec.alpha}, beta ${spec.beta}, T ${spec.temperature}), occluded ${spec.occlusion}, ${held}, seed ${spec.seed}`;
  return `${spec.model} stage ${spec.stage}, ${inputLabel(spec)}, ${held}, seed ${spec.seed}`;
}
