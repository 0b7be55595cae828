// Evaluation of an AU detector on a fold under a condition (clean, occluded or MAE
// composite; see conditions.ts): probabilities over the whole fold, then per-AU F1
// and accuracy counted as the official ME-GraphAU code does (threshold 0.5 on p_i,
// confusion counts summed over every frame, F1 once from the sums).
import * as tf from "@tensorflow/tfjs-core";
import type { AUDataset } from "../data/dataset.js";
import { gatherImages, gatherLabels, type FrameImages } from "../data/frames.js";
import { normalizeImages } from "../data/normalize.js";
import type { Detector } from "../models/detector.js";
import { occludeImages } from "../masks/occlude.js";
import { occlusionPatchMasks } from "../masks/spec.js";
import { checkCondition, type ConditionSpec } from "./conditions.js";
import { AuConfusion, type AuScores } from "./f1.js";

export interface EvaluateOptions {
  condition: ConditionSpec;
  /** Composites of the evaluated frames (input "composite"). */
  composites?: FrameImages;
  /** Images per forward pass. Default 64. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Evaluation extends AuScores {
  /** AU numbers in column order. */
  aus: number[];
  frames: number;
  /** Per-AU confusion counts [TP, FP, TN, FN]. */
  counts: number[][];
  /** Probabilities [frames, N] row-major, in the order of the frames given. */
  probs: Float32Array;
}

/** The images a detector reads for `frames` under a condition (uint8 RGB). */
export function conditionImages(ds: AUDataset, frames: ArrayLike<number>, condition: ConditionSpec, composites?: FrameImages): Uint8Array {
  if (condition.input === "clean") return gatherImages(ds, frames);
  if (condition.input === "composite") {
    if (!composites) throw new Error("the composite condition needs the frames' composites (buildComposites)");
    return gatherImages(composites, frames);
  }
  const grid = ds.size / condition.patch;
  return occludeImages(gatherImages(ds, frames), ds.size, occlusionPatchMasks(condition.occlusion, frames, grid, condition.patch), condition.patch, condition.fill ?? "gray");
}

/** AU probabilities [frames, N] of a detector (eval mode) on uint8 images. */
export async function predictImages(detector: Detector, images: Uint8Array, size: number, batchSize = 64): Promise<Float32Array> {
  const ib = size * size * 3;
  const n = images.length / ib;
  const N = detector.config.numClasses;
  const out = new Float32Array(n * N);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const { data, shape } = normalizeImages(images.subarray(start * ib, (start + count) * ib), size);
    const prob = tf.tidy(() => detector.forward(tf.tensor4d(data, shape)).prob);
    out.set(await prob.data(), start * N);
    prob.dispose();
  }
  return out;
}

/** Per-AU F1 / accuracy of `detector` on `frames` (a test fold) under `condition`. */
export async function evaluateDetector(detector: Detector, ds: AUDataset, frames: Int32Array, options: EvaluateOptions): Promise<Evaluation> {
  checkCondition(options.condition);
  const N = detector.config.numClasses;
  if (ds.aus.length !== N) throw new Error(`the dataset labels ${ds.aus.length} AUs but the detector has ${N} outputs`);
  const batch = options.batchSize ?? 64;
  const confusion = new AuConfusion(N);
  const probs = new Float32Array(frames.length * N);
  // Chunks of frames, so that occluding and normalising never hold the whole fold.
  const chunk = batch * 8;
  for (let start = 0; start < frames.length; start += chunk) {
    const idx = frames.subarray(start, Math.min(frames.length, start + chunk));
    const images = conditionImages(ds, idx, options.condition, options.composites);
    const p = await predictImages(detector, images, ds.size, batch);
    probs.set(p, start * N);
    confusion.add(p, gatherLabels(ds, idx));
    options.onProgress?.(start + idx.length, frames.length);
  }
  return { ...confusion.scores(), aus: ds.aus.slice(), frames: frames.length, counts: confusion.table(), probs };
}

/** Per-AU F1 as a text table (percent), e.g. for the CLI. */
export function formatF1Table(rows: { label: string; f1: number[]; meanF1: number }[], aus: number[]): string {
  const head = ["condition", ...aus.map((a) => `AU${a}`), "mean"];
  const body = rows.map((r) => [r.label, ...r.f1.map((v) => (100 * v).toFixed(1)), (100 * r.meanF1).toFixed(1)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), ...body.map(line)].join("\n");
}
