// Runs in Node (the CLI, reproduce, the tests): what a spec needs from the disk. The
// dataset (the synthetic generator through the disk cache, or a folder of ME-GraphAU
// lists), model files (an MAE, initial weights) with the hash of their bytes,
// composites cached on disk (the MAE is frozen, so they never change for a file,
// dataset, occlusion and frame list), and checkpoints written atomically with resume.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cachedFaceDataset } from "../data/cache.js";
import { defaultCacheDir, nodeDatasetCache } from "../data/cache-node.js";
import type { AUDataset } from "../data/dataset.js";
import { nodeFileSource } from "../data/files-node.js";
import { canonicalJson, fnv1a64 } from "../data/hash.js";
import { importMeGraphAU } from "../data/import-megraphau.js";
import { buildComposites, compositeFingerprint } from "../eval/composites.js";
import { FrameImages } from "../data/frames.js";
import { foldSplit } from "../data/folds.js";
import type { InputKind } from "../eval/conditions.js";
import { evaluateSweep, type SweepRow } from "../eval/sweep.js";
import { injectLossFault } from "../faults-node.js";
import { readCheckpointFile, underLock, writeFileAtomic } from "../io/atomic-node.js";
import type { CheckpointMeta } from "../io/checkpoint.js";
import type { Fill } from "../masks/fill.js";
import type { Detector } from "../models/detector.js";
import { formatOcclusion } from "../masks/spec.js";
import { loadMae } from "../models/mae-checkpoint.js";
import { NonFiniteLossError } from "../train/trainer.js";
import type { Mae } from "../models/mae.js";
import { createRun, DEFAULT_PATCH, describeData, isSynthetic, syntheticConfig, type CompositeSource, type Run, type RunOptions, type RunResources, type TeacherTargetSource } from "./create.js";
import { computeTeacherTargets, TeacherTargets } from "../train/teacher-targets.js";
import { loadCheckpointModel } from "../registry.js";
import type { DataSpec, ModelRef, RunSpec, StudentSpec } from "./spec.js";

/** Progress of a named phase (a bar in the CLI). */
export type Progress = (phase: string, done: number, total: number) => void;

export interface LoadedData {
  dataset: AUDataset;
  /** What checkpoint metadata says of it. */
  description: Record<string, unknown>;
}

/** The dataset of a DataSpec: synthetic through the disk cache, or a folder of ME-GraphAU lists. */
export async function loadData(data: DataSpec, progress?: Progress): Promise<LoadedData> {
  if (isSynthetic(data)) {
    const { dataset } = await cachedFaceDataset(syntheticConfig(data), nodeDatasetCache(defaultCacheDir()), {
      onProgress: (done, total) => progress?.("faces ", done, total),
    });
    return { dataset, description: describeData(data, dataset) };
  }
  const dir = data.source;
  if (!existsSync(dir)) throw new Error(`--data ${dir}: not "synthetic[:bp4d|disfa]" and no such folder`);
  const listDir = join(dir, "list");
  const lists = existsSync(listDir) ? readdirSync(listDir).filter((f) => /_train_img_path_fold1\.txt$/.test(f)) : [];
  if (lists.length !== 1) {
    throw new Error(`--data ${dir}: expected one <DATASET>_train_img_path_fold1.txt in ${listDir} (ME-GraphAU list format, as written by "maskau data generate --out"), found ${lists.length}`);
  }
  const name = lists[0].replace(/_train_img_path_fold1\.txt$/, "");
  const dataset = await importMeGraphAU(nodeFileSource(dir), { dataset: name, size: data.size, onProgress: (done, total) => progress?.("images", done, total) });
  return { dataset, description: describeData(data, dataset) };
}

/** A model file's bytes and reference (path + FNV-1a 64 of the bytes). */
export function readModelFile(path: string, flag = "--mae"): { bytes: Uint8Array; ref: ModelRef } {
  if (!existsSync(path)) throw new Error(`${flag} ${path}: no such file`);
  const bytes = new Uint8Array(readFileSync(path));
  return { bytes, ref: { path, hash: fnv1a64(bytes) } };
}

export interface LoadedMaeFile {
  mae: Mae;
  ref: ModelRef;
}

export function loadMaeFile(path: string): LoadedMaeFile {
  if (!existsSync(path)) throw new Error(`--mae ${path}: no such file (pretrain one with "maskau pretrain --preset tiny --fold K --out FILE")`);
  const { bytes, ref } = readModelFile(path);
  return { mae: loadMae(bytes, { source: path }).mae, ref };
}

/**
 * Composites of a frame list from the disk cache, keyed by the MAE file's hash, the
 * dataset, the occlusion, the frames, the variant and the fingerprint of the arithmetic
 * that computes them here (compositeFingerprint: build, backend and kernels), so that
 * composites written by another build or backend are recomputed, never served; computed
 * and stored on a miss.
 */
export function diskComposites(m: LoadedMaeFile, dataset: AUDataset, dataDescription: Record<string, unknown>, progress?: Progress): CompositeSource {
  const keyed = (images: FrameImages, key: string) => (compositeKeys.set(images, key), images);
  return async (frames, plan, variant, label) => {
    const framesHash = fnv1a64(new Uint8Array(frames.buffer, frames.byteOffset, frames.byteLength));
    const numerics = await compositeFingerprint(m.mae, dataset, frames, plan, { variant });
    const key = `composites-${fnv1a64(m.ref.hash!, canonicalJson(dataDescription), formatOcclusion(plan), framesHash, ...(variant > 0 ? [`variant ${variant}`] : []), `numerics ${numerics}`)}`;
    const cache = nodeDatasetCache(defaultCacheDir());
    const hit = await cache.get(key);
    if (hit && hit.length === frames.length * dataset.size * dataset.size * 3) return keyed(new FrameImages(frames, hit, dataset.size), key);
    const out = await buildComposites(m.mae, dataset, frames, plan, { variant, onProgress: (d, t) => progress?.(`composites ${label}`, d, t) });
    await cache.put(key, out.images);
    return keyed(out, key);
  };
}

/** The disk-cache key of each composite set diskComposites returned (what identifies its bytes). */
const compositeKeys = new WeakMap<FrameImages, string>();

/** When a student run uses precomputed teacher outputs (teacher-targets.ts). */
export type TeacherTargetsMode = "auto" | "live" | "cache";

/**
 * The teacher's outputs on every training input from the disk cache, keyed by the teacher
 * file's hash, the composites' keys, the frames and the teacher's outputs on the first
 * batch here (so another build or backend recomputes them). "auto" uses them when cached and
 * computes them only for a run that draws at least as many inputs as there are (one student
 * alone runs the teacher on fewer inputs live than precomputing takes); "cache" computes them
 * on a miss, once across processes (the students of a teacher that the ablations share);
 * "live" never uses them. MASKAU_TEACHER_TARGETS sets the mode where the caller does not.
 */
export function diskTeacherTargets(teacherHash: string, teacher: Detector, dataset: AUDataset, progress?: Progress, modeOverride?: TeacherTargetsMode): TeacherTargetSource {
  return async (frames, composites, { draws, batch }) => {
    const mode = modeOverride ?? process.env.MASKAU_TEACHER_TARGETS ?? "auto";
    if (mode !== "auto" && mode !== "live" && mode !== "cache") throw new Error(`MASKAU_TEACHER_TARGETS=${mode}: choose auto, live or cache`);
    const keys = composites.map((c) => compositeKeys.get(c));
    if (mode === "live" || keys.some((k) => k === undefined)) return undefined;
    const options = { numAus: dataset.aus.length, size: dataset.size, flips: true, batch };
    const inputs = frames.length * composites.length * 2;
    const first = await computeTeacherTargets(teacher, frames.subarray(0, Math.ceil(Math.min(batch, inputs) / (2 * composites.length))), composites, options);
    const numerics = fnv1a64(new Uint8Array(first.data.buffer, first.data.byteOffset, first.data.byteLength));
    const framesHash = fnv1a64(new Uint8Array(frames.buffer, frames.byteOffset, frames.byteLength));
    const key = `teacher-targets-${fnv1a64(teacherHash, ...(keys as string[]), framesHash, `batch ${batch}`, `numerics ${numerics}`)}`;
    const cache = nodeDatasetCache(defaultCacheDir());
    const width = options.numAus * (1 + options.numAus * 4);
    const cached = async () => {
      const hit = await cache.get(key);
      if (!hit || hit.byteLength !== inputs * width * 4) return undefined;
      return new TeacherTargets(frames, composites.length, true, options.numAus, new Float32Array(hit.buffer.slice(hit.byteOffset, hit.byteOffset + hit.byteLength)));
    };
    const compute = async () => {
      const targets = await computeTeacherTargets(teacher, frames, composites, { ...options, onProgress: (d, t) => progress?.("teacher outputs", d, t) });
      await cache.put(key, new Uint8Array(targets.data.buffer, targets.data.byteOffset, targets.data.byteLength));
      return targets;
    };
    if (mode === "auto") return (await cached()) ?? (draws >= inputs ? compute() : undefined);
    mkdirSync(defaultCacheDir(), { recursive: true });
    return underLock(join(defaultCacheDir(), `${key}.lock`), cached, compute);
  };
}

/** Everything a spec needs from the disk: data, its MAE, the composite cache, initial weights. */
export interface NodeResources<S extends RunSpec> extends RunResources {
  /** The spec with the hashes of the files it reads filled in (what checkpoints record). */
  spec: S;
  maeFile?: LoadedMaeFile;
}

/**
 * Everything a spec needs from the disk: data, its MAE, the composite cache, initial
 * weights. Data and an MAE already loaded (reproduce runs several specs on them) are reused.
 */
export async function loadResources<S extends RunSpec>(
  spec: S,
  progress?: Progress,
  preloaded: { data?: LoadedData; mae?: LoadedMaeFile; teacherTargets?: TeacherTargetsMode } = {},
): Promise<NodeResources<S>> {
  const data = preloaded.data ?? (await loadData(spec.data, progress));
  if (spec.kind === "pretrain") return { spec, dataset: data.dataset, dataDescription: data.description };
  if (spec.kind === "student") return studentResources(spec, data, progress, preloaded.mae, preloaded.teacherTargets);
  const maeFile = spec.mae ? (preloaded.mae ?? loadMaeFile(spec.mae.path)) : undefined;
  const init = spec.init ? (await readCheckpointFile(spec.init.path)).tensors : undefined;
  return {
    spec: { ...spec, mae: maeFile ? maeFile.ref : spec.mae },
    dataset: data.dataset,
    dataDescription: data.description,
    mae: maeFile?.mae,
    maeFile,
    composites: maeFile ? diskComposites(maeFile, data.dataset, data.description, progress) : undefined,
    init,
  };
}

/** A student's resources: the MAE (composites) and a second instance of it (the student's encoder), the frozen teacher. */
async function studentResources<S extends RunSpec>(
  spec: StudentSpec,
  data: LoadedData,
  progress?: Progress,
  preloadedMae?: LoadedMaeFile,
  targets?: TeacherTargetsMode,
): Promise<NodeResources<S>> {
  const maeFile = preloadedMae ?? loadMaeFile(spec.mae.path);
  const { bytes } = readModelFile(spec.mae.path);
  const studentMae = loadMae(bytes, { source: spec.mae.path }).mae;
  const { bytes: teacherBytes, ref: teacher } = readModelFile(spec.teacher.path, "--teacher");
  const loaded = loadCheckpointModel(teacherBytes, { source: spec.teacher.path });
  if (loaded.family !== "detector") {
    studentMae.dispose();
    if (loaded.family === "mae") loaded.mae.dispose();
    throw new Error(`--teacher ${spec.teacher.path} holds ${loaded.name}, not an AU detector`);
  }
  return {
    spec: { ...spec, mae: maeFile.ref, teacher } as unknown as S,
    dataset: data.dataset,
    dataDescription: data.description,
    mae: maeFile.mae,
    maeFile,
    studentMae,
    teacher: loaded.detector,
    composites: diskComposites(maeFile, data.dataset, data.description, progress),
    teacherTargets: diskTeacherTargets(teacher.hash!, loaded.detector, data.dataset, progress, targets),
  };
}

export interface NodeRunOptions extends Omit<RunOptions, "save"> {
  /** The checkpoint file: resumable checkpoints every N steps, then the final one, written atomically. */
  out: string;
  /** Continue the run stored in `out` (when it holds a resumable state). */
  resume?: boolean;
  /** Stop once this many steps are done (with a resumable checkpoint), as an interrupted run would. */
  stopAfter?: number;
}

/** Builds the run of a spec on loaded resources, resumes it from `out` if asked, and trains it. */
export async function trainToFile(spec: RunSpec, resources: RunResources, options: NodeRunOptions, onReady?: (run: Run) => void): Promise<Run> {
  /** Step of the checkpoint `out` holds from this run (written or resumed from). */
  let saved: number | undefined;
  const save = async (bytes: Uint8Array, { step }: { step: number }) => {
    await writeFileAtomic(options.out, bytes);
    saved = step;
  };
  const run = await createRun(spec, resources, { ...options, save });
  injectLossFault(run.trainer.task);
  try {
    if (options.resume) {
      if (!existsSync(options.out)) {
        if (spec.kind === "pretrain") throw new Error(`--resume: ${options.out} does not exist`);
      } else {
        const ckpt = await readCheckpointFile(options.out);
        if (ckpt.meta?.trainer) {
          run.restore(ckpt, options.out);
          saved = run.trainer.step;
          options.log?.(`resuming ${options.out} at step ${run.trainer.step}`);
        } else if (spec.kind === "pretrain") {
          throw new Error(`--resume: ${options.out} holds no optimizer state (a weights-only checkpoint cannot be resumed)`);
        }
      }
    }
    onReady?.(run);
    await run.run(options.stopAfter ?? spec.train.steps);
    return run;
  } catch (e) {
    run.dispose();
    throw e instanceof NonFiniteLossError ? nonFiniteStop(e, options.out, saved) : e;
  }
}

/** The Trainer's non-finite stop, saying which file holds the last good state. */
function nonFiniteStop(e: NonFiniteLossError, out: string, saved: number | undefined): Error {
  const kept =
    saved === undefined
      ? `this run wrote no checkpoint to ${out} before it`
      : `${out} holds the last good checkpoint, step ${saved} (continue it with --resume once the cause is fixed)`;
  return new Error(
    `the loss became ${e.value} at step ${e.step + 1}; no update was applied and ${kept}. ` +
      `Lower the learning rate, enable gradient clipping, or check the inputs for NaN.`,
    { cause: e },
  );
}

/** The data and test fold a checkpoint records (its spec when it has one). */
export function dataOfMeta(meta: CheckpointMeta | null): { data: DataSpec; fold: number } {
  const spec = (meta as (CheckpointMeta & { spec?: RunSpec }) | null)?.spec;
  if (spec?.data) return { data: spec.data, fold: spec.fold };
  const recorded = (meta?.dataset && typeof meta.dataset === "object" ? meta.dataset : {}) as Record<string, unknown>;
  const config = (recorded.config ?? {}) as Record<string, unknown>;
  const fold = typeof recorded.testFold === "number" ? recorded.testFold : 1;
  const size = typeof config.size === "number" ? config.size : 64;
  if (recorded.kind === "megraphau") return { data: { source: String(recorded.path), seed: 1, size }, fold };
  const generator: DataSpec["generator"] = {};
  for (const k of ["subjects", "sequencesPerSubject", "framesPerSequence"] as const) if (typeof config[k] === "number") generator[k] = config[k] as number;
  const source = `synthetic:${String(config.preset ?? "bp4d")}`;
  const base: DataSpec = { source, seed: typeof config.seed === "number" ? config.seed : 1, size };
  // Generator settings that are the preset's own are left out (the CLI's default sets).
  const preset = syntheticConfig(base);
  const differs = (Object.keys(generator) as (keyof typeof generator)[]).some((k) => generator[k] !== preset[k]);
  return { data: differs ? { ...base, generator } : base, fold };
}

/** "synthetic-bp4d, test fold 1 (3360 frames), train folds 2,3 (6480 frames)". */
export function describeFold(dataset: AUDataset, fold: number): string {
  const { train, test } = foldSplit(dataset, fold - 1);
  const others = Array.from({ length: dataset.folds }, (_, i) => i + 1).filter((k) => k !== fold);
  return `${dataset.name}, test fold ${fold} (${test.length} frames), train folds ${others.join(",")} (${train.length} frames)`;
}

/** A detector under conditions on a fold's test frames; composites come from the disk cache. */
export async function evaluateDetectorOn(
  detector: Detector,
  data: LoadedData,
  fold: number,
  inputs: InputKind[],
  occlusions: string[],
  { fill = "gray", mae, progress }: { fill?: Fill; mae?: LoadedMaeFile; progress?: Progress } = {},
): Promise<{ rows: SweepRow[]; frames: number; describeFold: string }> {
  const ds = data.dataset;
  if (!(Number.isInteger(fold) && fold >= 1 && fold <= ds.folds)) throw new Error(`--fold ${fold}: the dataset has folds 1..${ds.folds}`);
  const { test } = foldSplit(ds, fold - 1);
  const cached = mae ? diskComposites(mae, ds, data.description, progress) : undefined;
  const rows = await evaluateSweep(detector, ds, test, inputs, occlusions, {
    fill,
    patch: mae ? mae.mae.config.patchSize : DEFAULT_PATCH,
    composites: cached ? (frames, occ) => cached(frames, occ, 0, "test ") : undefined,
    onProgress: (label, d, t) => progress?.(`eval ${label}`, d, t),
  });
  return { rows, frames: test.length, describeFold: describeFold(ds, fold) };
}
