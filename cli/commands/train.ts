// `maskau train detector`: ME-GraphAU stage 1 (ANFL) or stage 2 (MEFL) on a fold of a
// dataset, reading clean, occluded or MAE-composite faces: a `detector` run of the run
// layer (src/lib/runs). This file only turns flags into a spec and draws progress.
import { Command, InvalidArgumentError } from "commander";
import { formatF1Table } from "../../src/lib/eval/evaluate.js";
import { FILL_KINDS, type Fill } from "../../src/lib/masks/fill.js";
import { DETECTOR_DEFAULTS, MODEL_NAMES, resolveDetector, resolveStudent, STUDENT_DEFAULTS } from "../../src/lib/registry.js";
import type { DetectorRun, StudentRun } from "../../src/lib/runs/create.js";
import { loadResources, trainToFile, type LoadedData, type LoadedMaeFile, type TeacherTargetsMode } from "../../src/lib/runs/node.js";
import { detectorSpec, inputLabel, studentSpec, type DetectorSpec, type StudentSpec } from "../../src/lib/runs/spec.js";
import { INPUT_KINDS, type InputKind } from "../../src/lib/eval/conditions.js";
import { writeTrainingRecord } from "../../src/lib/records/node.js";
import { backendLabel, currentBackend, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import * as tf from "@tensorflow/tfjs-core";
import { progressBar } from "../progress.js";
import {
  addBackendOption,
  addDataOptions,
  addTrainOptions,
  commandLine,
  dataSpecOf,
  fillArg,
  inputArg,
  num,
  OCCLUSION_HELP,
  phaseBars,
  trainSettingsOf,
  type DataOpts,
  type TrainOpts,
} from "../options.js";

interface TrainDetectorOpts extends DataOpts, TrainOpts {
  occlusion: string;
  input: InputKind;
  fill: Fill;
  mae?: string;
  compositeVariants: number;
  stage: number;
  preset: string;
  lambda: number;
  init?: string;
  out: string;
  resume: boolean;
  optimizerState: boolean;
  backend: BackendName;
}

/** Adds the detector's input flags (what it reads and how the faces are occluded). */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .option("--occlusion <spec>", OCCLUSION_HELP, "none")
    .option("--input <kind>", `what the detector reads: ${INPUT_KINDS.join(" | ")}`, inputArg, "clean")
    .option("--fill <kind>", `paint of removed patches for --input occluded (${FILL_KINDS.join(", ")})`, fillArg, "gray")
    .option("--mae <file>", "MAE checkpoint that makes the composites (--input composite)")
    .option("--composite-variants <k>", "--input composite: occlusions per training face (each cached once; 1 = the test-time mask rule only)", num("--composite-variants", { int: true, min: 1 }), DETECTOR_DEFAULTS.compositeVariants);
}

/** A trained detector's or student's summary lines: file, step, loss, and the per-AU F1 it was evaluated on. */
export function reportTrained(run: DetectorRun | StudentRun, out: string): string {
  const label = run.kind === "student" ? `student occluded ${run.spec.occlusion}` : inputLabel(run.spec);
  const ev = run.evaluation;
  const val = run.validation;
  const last = run.trainer.history.at(-1)?.loss ?? NaN;
  return (
    `wrote ${out} at step ${run.trainer.step}, loss ${last.toFixed(4)}\n` +
    (val ? `validation (${run.spec.valSubjects} training subjects), ${val.frames} frames:\n` + formatF1Table([{ label, f1: val.f1, meanF1: val.meanF1 }], val.aus) + "\n" : "") +
    (ev ? `test fold ${run.spec.fold}, ${ev.frames} frames:\n` + formatF1Table([{ label, f1: ev.f1, meanF1: ev.meanF1 }], ev.aus) + "\n" : "")
  );
}

interface TrainFileOptions {
  resume?: boolean;
  optimizerState?: boolean;
  createdBy?: string;
  quiet?: boolean;
  preloaded?: { data?: LoadedData; mae?: LoadedMaeFile; teacherTargets?: TeacherTargetsMode };
  /** Write the run record beside the final checkpoint (`<out>.record.json`). Default true. */
  record?: boolean;
  /** Filled in with the run's wall time per phase, in seconds. */
  phaseTimes?: PhaseTimes;
}

/** Where a training run's wall time went. */
export interface PhaseTimes {
  /** Data, models and cached composites until the first step. */
  prepare?: number;
  /** The training steps (with their checkpoints). */
  train?: number;
  /** Test-fold evaluation, the final checkpoint and the record. */
  finish?: number;
}

/** Trains a detector spec to `out` with progress bars; returns the finished run (caller disposes). */
export async function trainDetectorFile(spec: DetectorSpec, out: string, options: TrainFileOptions = {}): Promise<DetectorRun> {
  return (await trainFile(spec, out, options)) as DetectorRun;
}

/** Trains a detector or student spec to `out` with progress bars; returns the finished run (caller disposes it). */
export async function trainFile(
  spec: DetectorSpec | StudentSpec,
  out: string,
  { resume = false, optimizerState = false, createdBy = commandLine(), quiet = false, preloaded = {}, record = true, phaseTimes }: TrainFileOptions = {},
): Promise<DetectorRun | StudentRun> {
  const started = performance.now();
  let readyAt = started;
  let trainedAt = started;
  const phases = phaseBars(quiet);
  const resources = await loadResources(spec, phases, preloaded);
  phases.stop();
  const say = (s: string) => quiet || process.stderr.write(s + "\n");
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const run = (await trainToFile(
      resources.spec,
      resources,
      {
        out,
        resume,
        optimizerState,
        createdBy,
        log: say,
        onEvalProgress: (d, t) => phases(`eval ${spec.kind === "student" ? `occluded ${spec.occlusion}` : inputLabel(spec)}`, d, t),
        callbacks: {
          onStep: (r) => {
            const fields: Record<string, string | number> = { loss: r.loss.toFixed(4), "img/s": Math.round((spec.train.batch * 1000) / r.ms) };
            if (r.metrics.lossEdge !== undefined) fields.edge = r.metrics.lossEdge.toFixed(3);
            if (spec.kind === "student") fields.kd = (r.metrics.kdNode + spec.beta * r.metrics.kdEdge).toFixed(4);
            bar?.update(r.step, fields);
            if (r.step >= spec.train.steps) {
              bar?.stop();
              trainedAt = performance.now();
            }
          },
        },
      },
      (ready) => {
        if (ready.kind === "pretrain") return;
        readyAt = performance.now();
        const model = ready.kind === "student" ? ready.student : ready.detector;
        const what = ready.kind === "student" ? `occluded ${ready.spec.occlusion}, teacher ${ready.spec.teacher.path} on composites` : `input ${inputLabel(ready.spec)}`;
        say(
          `training ${ready.meta.model} (${spec.model}, ${model.countTrainable().toLocaleString("en")} parameters) on ${ready.dataset.name} ` +
            `fold ${spec.fold} held out (${ready.trainFrames.length} train${ready.valFrames.length ? ` / ${ready.valFrames.length} validation` : ""} / ${ready.testFrames.length} test frames), ${what}`,
        );
        const name = spec.kind === "student" ? "distil" : `stage ${spec.stage}`;
        bar = quiet ? undefined : progressBar(name, spec.train.steps, { fields: spec.kind === "student" ? ["loss", "kd", "img/s"] : ["loss", "edge", "img/s"] });
        bar?.update(ready.trainer.step);
      },
    )) as DetectorRun | StudentRun;
    if (record && run.trainer.step >= spec.train.steps) {
      try {
        say(`wrote ${await writeTrainingRecord(out, backendLabel(currentBackend()))}`);
      } catch (e) {
        run.dispose();
        throw e;
      }
    }
    if (phaseTimes) {
      const end = performance.now();
      if (trainedAt === started) trainedAt = end; // no step ran (resumed at the end)
      Object.assign(phaseTimes, { prepare: (readyAt - started) / 1000, train: (trainedAt - readyAt) / 1000, finish: (end - trainedAt) / 1000 });
    }
    return run;
  } finally {
    bar?.stop();
    phases.stop();
    // An MAE handed in belongs to the caller.
    if (resources.maeFile !== preloaded.mae) resources.maeFile?.mae.dispose();
    resources.teacher?.dispose();
  }
}

export function trainCommand(): Command {
  const train = new Command("train").description("train models (AU detectors; MAE pretraining is `maskau pretrain`)");
  const cmd = train
    .command("detector")
    .description("train an ME-GraphAU AU detector (stage 1 ANFL, stage 2 MEFL) on a subject-exclusive fold, with a progress bar and checkpoints");
  addDataOptions(cmd);
  addInputOptions(cmd)
    .option("--stage <n>", "1 (ANFL, L_AU) or 2 (MEFL, L_AU + lambda L_E)", num("--stage", { int: true, min: 1 }), 1)
    .option("--preset <name>", `detector (${MODEL_NAMES.filter((n) => n.startsWith("detector/")).join(", ")}, or tiny, small, mae-tiny)`, "detector/resnet-tiny");
  addTrainOptions(cmd, DETECTOR_DEFAULTS, { minBatch: 2 })
    .option("--lambda <x>", "stage 2: weight of the edge loss (paper 0.01, ME-GraphAU 0.001)", num("--lambda"), DETECTOR_DEFAULTS.lambda)
    .option("--init <file>", "start from this checkpoint (backbone, global_linear and the head parts that match; e.g. stage 1 for stage 2)")
    .option("--out <file>", "checkpoint file (.safetensors), written atomically", "detector.safetensors")
    .option("--resume", "continue the run stored in --out", false)
    .option("--optimizer-state", "keep the optimizer state in the final checkpoint (default: weights only)", false);
  addBackendOption(cmd);
  cmd.action(async (opts: TrainDetectorOpts) => {
    if (opts.stage !== 1 && opts.stage !== 2) throw new Error("--stage must be 1 or 2");
    if (opts.input !== "clean" && opts.occlusion === "none") throw new Error(`--input ${opts.input} needs --occlusion (random:0.5 or block:0.3)`);
    if (opts.input === "composite" && !opts.mae) throw new Error("--input composite needs --mae FILE");
    const entry = resolveDetector(opts.preset);
    const spec = detectorSpec({
      model: entry.name,
      data: dataSpecOf(opts, entry.config({ head: "anfl", numClasses: 1 }).imgSize),
      fold: opts.fold,
      valSubjects: opts.valSubjects,
      seed: opts.seed,
      stage: opts.stage as 1 | 2,
      input: opts.input,
      occlusion: opts.occlusion,
      fill: opts.fill,
      mae: opts.mae ? { path: opts.mae } : null,
      compositeVariants: opts.compositeVariants,
      lambda: opts.lambda,
      init: opts.init ? { path: opts.init } : null,
      train: trainSettingsOf(opts),
    });
    const info = await initNodeBackend(opts.backend);
    process.stderr.write(`${backendLabel(info)}\n`);
    const run = await trainDetectorFile(spec, opts.out, { resume: opts.resume, optimizerState: opts.optimizerState === true });
    const report = reportTrained(run, opts.out);
    run.dispose();
    process.stdout.write(report + `tensors alive ${tf.memory().numTensors}\n`);
  });
  train.addCommand(trainStudentCommand());
  return train;
}

const STUDENT_FLAGS = ["occlusion", "fill", "compositeVariants", "lambda", "alpha", "beta", "temperature", "kd", "encoder", "encoderLrScale", "headInit"] as const;
type StudentFlags = (typeof STUDENT_FLAGS)[number];

interface TrainStudentOpts extends DataOpts, TrainOpts, Pick<StudentSpec, StudentFlags> {
  mae: string;
  teacher: string;
  preset: string;
  out: string;
  resume: boolean;
  optimizerState: boolean;
  backend: BackendName;
}

function choice<T extends string>(flag: string, values: readonly T[]) {
  return (v: string): T => {
    if (!values.includes(v as T)) throw new InvalidArgumentError(`${flag}: choose one of ${values.join(", ")}`);
    return v as T;
  };
}

/** `maskau train student`: the paper's student, distilled from a frozen stage-2 teacher. */
function trainStudentCommand(): Command {
  const d = STUDENT_DEFAULTS;
  const cmd = new Command("student").description(
    "distil a stage-2 teacher into the student: the MAE encoder on all patches of the occluded face, feature alignment, MEFL head (node KL + edge T^2 KL)",
  );
  addDataOptions(cmd);
  cmd
    .option("--occlusion <spec>", OCCLUSION_HELP, "random:0.5")
    .option("--fill <kind>", `paint of the removed patches the student sees (${FILL_KINDS.join(", ")})`, fillArg, "gray")
    .option("--mae <file>", "the MAE: makes the teacher's composites and initialises the student's encoder", "src/checkpoints/mae-tiny.safetensors")
    .requiredOption("--teacher <file>", "stage-2 (MEFL) teacher trained on composites of the same occlusion")
    .option("--composite-variants <k>", "cached occlusions per training face", num("--composite-variants", { int: true, min: 1 }), d.compositeVariants)
    .option("--preset <name>", `student (${MODEL_NAMES.filter((n) => n.startsWith("student/")).join(", ")})`, "student/mae-tiny")
    .option("--alpha <x>", "weight of the distillation loss (0: no distillation)", num("--alpha"), d.alpha)
    .option("--beta <x>", "weight of edge KD inside the distillation loss", num("--beta"), d.beta)
    .option("--temperature <x>", "temperature of edge KD", num("--temperature"), d.temperature)
    .option("--lambda <x>", "weight of the student's own edge loss", num("--lambda"), d.lambda)
    .option("--kd <terms>", "both | node | edge", choice("--kd", ["both", "node", "edge"] as const), "both")
    .option("--encoder <mode>", "finetune (at --encoder-lr-scale x the learning rate) | frozen", choice("--encoder", ["finetune", "frozen"] as const), "finetune")
    .option("--encoder-lr-scale <x>", "learning-rate multiplier of the encoder", num("--encoder-lr-scale"), d.encoderLrScale)
    .option("--head-init <from>", "teacher | fresh", choice("--head-init", ["teacher", "fresh"] as const), "teacher");
  addTrainOptions(cmd, d, { minBatch: 2 })
    .option("--out <file>", "checkpoint file (.safetensors), written atomically", "student.safetensors")
    .option("--resume", "continue the run stored in --out", false)
    .option("--optimizer-state", "keep the optimizer state in the final checkpoint (default: weights only)", false);
  addBackendOption(cmd);
  return cmd.action(async (opts: TrainStudentOpts) => {
    const entry = resolveStudent(opts.preset);
    const flags = Object.fromEntries(STUDENT_FLAGS.map((k) => [k, opts[k]])) as Pick<StudentSpec, StudentFlags>;
    const spec = studentSpec({
      ...flags,
      model: entry.name,
      data: dataSpecOf(opts, 64),
      fold: opts.fold,
      valSubjects: opts.valSubjects,
      seed: opts.seed,
      mae: { path: opts.mae },
      teacher: { path: opts.teacher },
      train: trainSettingsOf(opts),
    });
    const info = await initNodeBackend(opts.backend);
    process.stderr.write(`${backendLabel(info)}\n`);
    const run = await trainFile(spec, opts.out, { resume: opts.resume, optimizerState: opts.optimizerState === true });
    const report = reportTrained(run, opts.out);
    run.dispose();
    process.stdout.write(report + `tensors alive ${tf.memory().numTensors}\n`);
  });
}
