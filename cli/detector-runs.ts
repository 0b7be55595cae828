// Detector runs shared by `maskau train detector`, `maskau eval detector` and
// `maskau reproduce table2`: data and fold, MAE composites (cached on disk, since the
// MAE is frozen), training with checkpoints, evaluation under conditions.
import { existsSync, readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { defaultCacheDir, nodeDatasetCache } from "../src/lib/data/cache-node.js";
import type { AUDataset } from "../src/lib/data/dataset.js";
import { foldSplit } from "../src/lib/data/folds.js";
import { canonicalJson, fnv1a64 } from "../src/lib/data/hash.js";
import { buildComposites } from "../src/lib/eval/composites.js";
import { conditionLabel, FrameImages, type ConditionSpec, type InputKind } from "../src/lib/eval/conditions.js";
import { evaluateDetector, type Evaluation } from "../src/lib/eval/evaluate.js";
import type { Fill } from "../src/lib/masks/fill.js";
import { formatOcclusion, NO_OCCLUSION, parseOcclusion, type OcclusionSpec } from "../src/lib/masks/spec.js";
import { checkpointBuffers, checkpointToTrainState, encodeCheckpoint, encodeTrainState, type CheckpointMeta } from "../src/lib/io/checkpoint.js";
import { readCheckpointFile, writeFileAtomic } from "../src/lib/io/atomic-node.js";
import { createDetector, detectorConfig, detectorConfigFromMeta, detectorModelKind, type Detector, type DetectorPresetName } from "../src/lib/models/detector.js";
import { loadMae } from "../src/lib/models/mae-checkpoint.js";
import type { Mae } from "../src/lib/models/mae.js";
import type { TensorData } from "../src/lib/models/params.js";
import { AdamW } from "../src/lib/train/adamw.js";
import { DetectorTrainTask } from "../src/lib/train/detector-task.js";
import { Trainer, type TrainerConfig } from "../src/lib/train/trainer.js";
import { loadDataArg, type LoadedData } from "./dataset-arg.js";
import { progressBar } from "./progress.js";

/** Side of the faces the detector presets read. */
export const DETECTOR_IMAGE_SIZE = 64;
/** Patch side of occlusion masks when no MAE fixes it (the tiny MAE's patch at 64 px). */
export const DEFAULT_PATCH = 8;

export interface FoldData {
  data: LoadedData;
  /** 1-based test fold. */
  fold: number;
  train: Int32Array;
  test: Int32Array;
}

export async function loadFold(dataSpec: string, dataSeed: number, fold: number): Promise<FoldData> {
  const data = await loadDataArg(dataSpec, { dataSeed, size: DETECTOR_IMAGE_SIZE });
  const ds = data.dataset;
  if (!(Number.isInteger(fold) && fold >= 1 && fold <= ds.folds)) throw new Error(`--fold ${fold}: the dataset has folds 1..${ds.folds}`);
  const { train, test } = foldSplit(ds, fold - 1);
  return { data, fold, train, test };
}

export interface LoadedMaeFile {
  mae: Mae;
  path: string;
  /** Hash of the file's bytes (keys the composite cache). */
  hash: string;
}

export function loadMaeFile(path: string): LoadedMaeFile {
  if (!existsSync(path)) throw new Error(`--mae ${path}: no such file (pretrain one with "maskau pretrain --preset tiny --fold K --out FILE")`);
  const bytes = new Uint8Array(readFileSync(path));
  const { mae } = loadMae(bytes, { source: path });
  return { mae, path, hash: fnv1a64(bytes) };
}

/**
 * Composites of `frames` under `occlusion`, from the disk cache when this MAE file, dataset,
 * occlusion and frame list were seen before.
 */
export async function cachedComposites(m: LoadedMaeFile, fd: FoldData, frames: Int32Array, occlusion: OcclusionSpec, label: string, variant = 0): Promise<FrameImages> {
  const ds = fd.data.dataset;
  const framesHash = fnv1a64(new Uint8Array(frames.buffer, frames.byteOffset, frames.byteLength));
  const key = `composites-${fnv1a64(m.hash, canonicalJson(fd.data.description), formatOcclusion(occlusion), framesHash, ...(variant > 0 ? [`variant ${variant}`] : []))}`;
  const cache = nodeDatasetCache(defaultCacheDir());
  const hit = await cache.get(key);
  const ib = ds.size * ds.size * 3;
  if (hit && hit.length === frames.length * ib) return new FrameImages(frames, hit, ds.size);
  const bar = progressBar(`composites ${label}`, frames.length);
  try {
    const out = await buildComposites(m.mae, ds, frames, occlusion, { variant, onProgress: (d) => bar.update(d) });
    await cache.put(key, out.images);
    return out;
  } finally {
    bar.stop();
  }
}

export interface ConditionArgs {
  input: InputKind;
  occlusion: string;
  fill: Fill;
}

export function conditionSpec(args: ConditionArgs, mae?: Mae): ConditionSpec {
  const occlusion = parseOcclusion(args.occlusion);
  const patch = mae ? mae.config.patchSize : DEFAULT_PATCH;
  if (args.input === "composite" && !mae) throw new Error(`--input composite needs the MAE that reconstructs the faces (--mae FILE)`);
  return { input: args.input, occlusion: args.input === "clean" ? NO_OCCLUSION : occlusion, fill: args.fill, patch };
}

export interface TrainDetectorArgs {
  preset: DetectorPresetName;
  stage: 1 | 2;
  condition: ConditionArgs;
  steps: number;
  batch: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  lambda: number;
  seed: number;
  out: string;
  /** Stage 2: initialise the backbone and shared head parts from this stage-1 checkpoint. */
  init?: string;
  resume?: boolean;
  checkpointEvery: number;
  /** Composite input: occlusion variants per training frame (1 = the evaluation's mask only). */
  compositeVariants?: number;
  /** Keep the optimizer state in the final file (to continue training). */
  optimizerState?: boolean;
  /** Command line recorded as createdBy. */
  command: string;
  quiet?: boolean;
}

export interface TrainDetectorResult {
  evaluation: Evaluation;
  condition: ConditionSpec;
  steps: number;
  lastLoss: number;
}

function f1Metrics(ev: Evaluation): Record<string, number> {
  const m: Record<string, number> = { meanF1: ev.meanF1, meanAcc: ev.meanAcc };
  ev.aus.forEach((au, i) => (m[`f1/AU${au}`] = ev.f1[i]));
  return m;
}

/** Trains a detector on a fold under a condition, evaluates it on the test fold, writes the checkpoint. */
export async function trainDetector(args: TrainDetectorArgs, fd: FoldData, maeFile?: LoadedMaeFile): Promise<TrainDetectorResult> {
  const ds = fd.data.dataset;
  const condition = conditionSpec(args.condition, maeFile?.mae);
  const say = (s: string) => {
    if (!args.quiet) process.stderr.write(s);
  };
  let trainComposites: FrameImages[] | undefined;
  let testComposites: FrameImages | undefined;
  const variants = args.compositeVariants ?? 1;
  if (!(Number.isInteger(variants) && variants >= 1)) throw new Error(`composite variants must be a positive integer, got ${variants}`);
  if (condition.input === "composite") {
    trainComposites = [];
    for (let v = 0; v < variants; v++) trainComposites.push(await cachedComposites(maeFile!, fd, fd.train, condition.occlusion, variants > 1 ? `train ${v + 1}/${variants}` : "train", v));
    testComposites = await cachedComposites(maeFile!, fd, fd.test, condition.occlusion, "test ");
  }
  const cfg = detectorConfig(args.preset, { head: args.stage === 1 ? "anfl" : "mefl", numClasses: ds.aus.length });
  const detector = createDetector(cfg, { seed: args.seed });
  try {
    if (args.init) {
      const ckpt = await readCheckpointFile(args.init);
      const report = detector.load(ckpt.tensors, { strict: false, source: args.init });
      const loaded = detector.names().filter((n) => !report.missing.includes(n) && !report.misShaped.some((m) => m.name === n));
      if (!loaded.some((n) => n.startsWith("backbone.")) || !loaded.some((n) => n.startsWith("global_linear."))) {
        throw new Error(`--init ${args.init}: no backbone / global_linear weights matched this detector (preset ${args.preset})`);
      }
      say(`initialised ${loaded.length} of ${detector.names().length} tensors from ${args.init}\n`);
    }
    const task = new DetectorTrainTask(detector, ds, fd.train, {
      batchSize: args.batch,
      seed: args.seed,
      condition,
      composites: trainComposites,
      lambda: args.lambda,
    });
    const trainerConfig: TrainerConfig = { steps: args.steps, lr: args.lr, minLr: args.minLr, warmupSteps: args.warmup, checkpointEvery: args.checkpointEvery };
    const optimizer = new AdamW({ weightDecay: args.weightDecay });
    const trainFolds = Array.from({ length: ds.folds }, (_, i) => i + 1).filter((k) => k !== fd.fold);
    const meta = {
      model: detectorModelKind(cfg.head),
      config: {
        detector: cfg,
        preset: args.preset,
        stage: args.stage,
        condition: { input: condition.input, occlusion: formatOcclusion(condition.occlusion), fill: condition.fill, patch: condition.patch },
        mae: maeFile ? { path: maeFile.path, hash: maeFile.hash } : null,
        train: {
          steps: args.steps,
          batch: args.batch,
          lr: args.lr,
          minLr: args.minLr,
          warmup: args.warmup,
          weightDecay: args.weightDecay,
          lambda: args.stage === 2 ? args.lambda : null,
          init: args.init ?? null,
          compositeVariants: condition.input === "composite" ? variants : null,
        },
        auWeights: Array.from(task.auWeights),
        aus: ds.aus,
      } as Record<string, unknown>,
      dataset: { ...fd.data.description, testFold: fd.fold, trainFolds },
      seed: args.seed,
      createdBy: args.command,
    };
    const buffersOf = async (): Promise<Map<string, TensorData>> => {
      const trainable = new Set(Object.keys(task.variables));
      return new Map([...(await detector.stateDict())].filter(([n]) => !trainable.has(n)));
    };
    let evaluation: Evaluation | undefined;
    let bar: ReturnType<typeof progressBar> | undefined;
    const trainer = new Trainer(task, trainerConfig, optimizer, {
      onStep: (r) => {
        const fields: Record<string, string | number> = { loss: r.loss.toFixed(4), "img/s": Math.round((args.batch * 1000) / r.ms) };
        if (r.metrics.lossEdge !== undefined) fields.edge = r.metrics.lossEdge.toFixed(3);
        bar?.update(r.step, fields);
      },
      onCheckpoint: async (state) => {
        const final = state.step >= args.steps;
        if (!final) {
          await writeFileAtomic(args.out, encodeTrainState(state, { ...meta, step: state.step }, await buffersOf()));
          return;
        }
        bar?.stop();
        const evBar = args.quiet ? undefined : progressBar(`eval ${conditionLabel(condition)}`, fd.test.length);
        evaluation = await evaluateDetector(detector, ds, fd.test, { condition, composites: testComposites, onProgress: (d) => evBar?.update(d) });
        evBar?.stop();
        const metrics = { loss: state.history.at(-1)?.loss ?? NaN, ...f1Metrics(evaluation) };
        // The loss curve (every 5th step and the last) stays with a weights-only file.
        const history = state.history.filter((h, i) => h.step % 5 === 0 || i === state.history.length - 1).map((h) => ({ step: h.step, loss: h.loss, lr: h.lr }));
        const bytes = args.optimizerState
          ? encodeTrainState(state, { ...meta, step: state.step, metrics }, await buffersOf())
          : encodeCheckpoint(await detector.stateDict(), { ...meta, step: state.step, metrics, history });
        await writeFileAtomic(args.out, bytes);
      },
    });
    if (args.resume && existsSync(args.out)) {
      const ckpt = await readCheckpointFile(args.out);
      if (ckpt.meta?.trainer) {
        trainer.restore(checkpointToTrainState(ckpt, args.out));
        detector.load(checkpointBuffers(ckpt), { strict: false, source: args.out });
        say(`resuming ${args.out} at step ${trainer.step}\n`);
      }
    }
    say(
      `training ${detectorModelKind(cfg.head)} (${args.preset}, ${detector.countTrainable().toLocaleString("en")} parameters) on ${ds.name} ` +
        `fold ${fd.fold} held out (${fd.train.length} train / ${fd.test.length} test frames), input ${conditionLabel(condition)}\n`,
    );
    bar = args.quiet ? undefined : progressBar(`stage ${args.stage}`, args.steps, { fields: ["loss", "edge", "img/s"] });
    bar?.update(trainer.step);
    try {
      if (trainer.step < args.steps) await trainer.run();
    } finally {
      bar?.stop();
    }
    if (!evaluation) {
      // Resumed a finished run: evaluate what is there.
      evaluation = await evaluateDetector(detector, ds, fd.test, { condition, composites: testComposites });
    }
    task.dispose();
    optimizer.dispose();
    return { evaluation, condition, steps: trainer.step, lastLoss: trainer.history.at(-1)?.loss ?? NaN };
  } finally {
    detector.dispose();
  }
}

export interface LoadedDetector {
  detector: Detector;
  meta: CheckpointMeta | null;
}

export async function loadDetectorFile(path: string): Promise<LoadedDetector> {
  if (!existsSync(path)) throw new Error(`--ckpt ${path}: no such file`);
  const ckpt = await readCheckpointFile(path);
  if (!ckpt.meta) throw new Error(`${path} has no MaskAU metadata: it does not say which detector it holds`);
  const cfg = detectorConfigFromMeta(ckpt.meta, path);
  const detector = createDetector(cfg);
  try {
    detector.load(ckpt.tensors, { source: path });
  } catch (e) {
    detector.dispose();
    throw e;
  }
  return { detector, meta: ckpt.meta };
}

export interface EvalRow {
  label: string;
  input: InputKind;
  occlusion: string;
  evaluation: Evaluation;
}

/** Evaluates a detector under every listed condition (clean once; occluded/composite per occlusion). */
export async function evaluateConditions(
  detector: Detector,
  fd: FoldData,
  inputs: InputKind[],
  occlusions: string[],
  { fill = "gray", mae, quiet = false }: { fill?: Fill; mae?: LoadedMaeFile; quiet?: boolean } = {},
): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  const ds = fd.data.dataset;
  const wanted: ConditionArgs[] = [];
  for (const input of inputs) {
    if (input === "clean") wanted.push({ input, occlusion: "none", fill });
    else for (const occlusion of occlusions) if (parseOcclusion(occlusion).kind !== "none") wanted.push({ input, occlusion, fill });
  }
  for (const args of wanted) {
    const condition = conditionSpec(args, mae?.mae);
    const composites = condition.input === "composite" ? await cachedComposites(mae!, fd, fd.test, condition.occlusion, "test ") : undefined;
    const label = conditionLabel(condition);
    const bar = quiet ? undefined : progressBar(`eval ${label}`, fd.test.length);
    const evaluation = await evaluateDetector(detector, ds, fd.test, { condition, composites, onProgress: (d) => bar?.update(d) });
    bar?.stop();
    rows.push({ label, input: condition.input, occlusion: formatOcclusion(condition.occlusion), evaluation });
  }
  return rows;
}

/** What a fold's data looks like in a report line. */
export function describeFold(fd: FoldData): string {
  const ds: AUDataset = fd.data.dataset;
  return `${ds.name}, test fold ${fd.fold} (${fd.test.length} frames), train folds ${Array.from({ length: ds.folds }, (_, i) => i + 1).filter((k) => k !== fd.fold).join(",")} (${fd.train.length} frames)`;
}

export function tensorsAlive(): number {
  return tf.memory().numTensors;
}
