// AU detector training (ME-GraphAU stages 1 and 2) as a Trainer task:
//   stage 1 (ANFL)  L = L_AU, the weighted asymmetric loss with per-AU weights from the
//                   training fold's occurrence rates
//   stage 2 (MEFL)  L = L_AU + lambda * L_E, L_E the 4-class edge cross-entropy
//                   (lambda 0.01 in the occlusion paper, 0.001 in ME-GraphAU)
// The batch of step t is a function of (seed, t): frames from per-epoch seeded orders,
// a seeded horizontal flip, and for the occluded input masks drawn per (seed, t, slot).
// The composite input reads composites prepared once for the whole training fold
// (buildComposites: the MAE is frozen, so they never change).
//
// BatchNorm running statistics: the train-mode forward records them and the Trainer's
// afterUpdate hook commits them after every optimizer update, so a step moves them once
// as torch's forward does (a caller that runs the task without a Trainer calls
// afterUpdate itself).
import * as tf from "@tensorflow/tfjs-core";
import { flipHorizontal } from "../data/augment.js";
import { batchIndicesAt } from "../data/batches.js";
import { imageBytes, type AUDataset } from "../data/dataset.js";
import { FrameImages, gatherImages, gatherLabels } from "../data/frames.js";
import { normalizeImages } from "../data/normalize.js";
import { mixSeed, Rng } from "../data/prng.js";
import { checkCondition, type ConditionSpec } from "../eval/conditions.js";
import { stepMaskKeys } from "../masks/keys.js";
import { occludeImages } from "../masks/occlude.js";
import { occlusionPatchMasks } from "../masks/spec.js";
import { edgeCrossEntropy, edgeLabels } from "../losses/edge.js";
import { auOccurrenceRates, auWeightsFromRates, weightedAsymmetricLoss } from "../losses/wal.js";
import type { Detector } from "../models/detector.js";
import type { StepLoss, TrainTask } from "./trainer.js";

export interface DetectorTaskOptions {
  batchSize: number;
  seed: number;
  /** What the detector reads (clean, occluded, composite) and the occlusion. */
  condition: ConditionSpec;
  /**
   * Composites of (at least) the training frames; required for input "composite". Several
   * (one per occlusion variant of each frame): each image of a batch takes one at random.
   */
  composites?: FrameImages | FrameImages[];
  /** Stage-2 edge-loss weight lambda. Default 0.01 (the paper; ME-GraphAU uses 0.001). */
  lambda?: number;
  /** WAL probability margin m (default 0) and negative exponent gamma (default 1). */
  margin?: number;
  gamma?: number;
  /** Random horizontal flips. Default true. */
  flip?: boolean;
}

/** Per-AU loss weights from the occurrence rates of `frames` (a rate of 0 is raised to one frame). */
export function auWeightsForFrames(ds: AUDataset, frames: ArrayLike<number>): Float32Array {
  const A = ds.aus.length;
  const rates = auOccurrenceRates(gatherLabels(ds, frames), A);
  const floor = 1 / Math.max(1, frames.length);
  return auWeightsFromRates(Array.from(rates, (r) => Math.max(r, floor)));
}

export class DetectorTrainTask implements TrainTask {
  readonly variables: Record<string, tf.Variable>;
  /** Per-AU WAL weights (from the training frames' occurrence rates). */
  readonly auWeights: Float32Array;
  private readonly weightTensor: tf.Tensor1D;
  private readonly composites: FrameImages[];

  constructor(
    readonly detector: Detector,
    readonly dataset: AUDataset,
    /** Training frame indices (a fold's training set). */
    readonly frames: Int32Array,
    readonly options: DetectorTaskOptions,
  ) {
    if (dataset.size !== detector.config.imgSize) {
      throw new Error(`the dataset has ${dataset.size} px images but the detector expects ${detector.config.imgSize} px`);
    }
    if (dataset.aus.length !== detector.config.numClasses) {
      throw new Error(`the dataset labels ${dataset.aus.length} AUs but the detector has ${detector.config.numClasses} outputs`);
    }
    checkCondition(options.condition);
    this.composites = options.composites === undefined ? [] : Array.isArray(options.composites) ? options.composites : [options.composites];
    if (options.condition.input === "composite") {
      if (this.composites.length === 0) throw new Error("the composite input needs the training frames' composites (buildComposites)");
      for (const set of this.composites) {
        const missing = Array.from(frames).find((f) => !set.has(f));
        if (missing !== undefined) throw new Error(`no composite for training frame ${missing}`);
      }
    }
    this.variables = detector.trainable();
    this.auWeights = auWeightsForFrames(dataset, frames);
    this.weightTensor = tf.tensor1d(this.auWeights);
  }

  get stage(): 1 | 2 {
    return this.detector.config.head === "anfl" ? 1 : 2;
  }

  /** The uint8 images, labels and frames of the batch of `step` (before normalisation). */
  inputs(step: number): { frames: Int32Array; images: Uint8Array; labels: Float32Array } {
    const { batchSize, seed, condition, flip = true } = this.options;
    const ds = this.dataset;
    const frames = batchIndicesAt(this.frames, batchSize, seed, step);
    let images: Uint8Array;
    if (condition.input !== "composite") images = gatherImages(ds, frames);
    else if (this.composites.length === 1) images = gatherImages(this.composites[0], frames);
    else {
      const pick = new Rng(mixSeed(seed, step, 0xc0de));
      const ib = imageBytes(ds);
      images = new Uint8Array(frames.length * ib);
      for (let j = 0; j < frames.length; j++) images.set(this.composites[pick.int(this.composites.length)].get(frames[j]), j * ib);
    }
    if (flip) {
      const rng = new Rng(mixSeed(seed, step, 0xf11b));
      const ib = imageBytes(ds);
      for (let j = 0; j < frames.length; j++) {
        if (rng.next() < 0.5) images.set(flipHorizontal(images.subarray(j * ib, (j + 1) * ib), ds.size), j * ib);
      }
    }
    if (condition.input === "occluded") {
      const grid = ds.size / condition.patch;
      const masks = occlusionPatchMasks(condition.occlusion, stepMaskKeys(seed, step, frames.length), grid, condition.patch);
      images = occludeImages(images, ds.size, masks, condition.patch, condition.fill ?? "gray", mixSeed(seed, step, 0xf111));
    }
    return { frames, images, labels: gatherLabels(ds, frames) };
  }

  loss(step: number): StepLoss {
    const { images, labels, frames } = this.inputs(step);
    const { data, shape } = normalizeImages(images, this.dataset.size);
    return tf.tidy(() => {
      const x = tf.tensor4d(data, shape);
      const y = tf.tensor2d(labels, [frames.length, this.dataset.aus.length]);
      const out = this.detector.forward(x, { training: true });
      const lossAU = weightedAsymmetricLoss(out.prob, y, { weights: this.weightTensor, margin: this.options.margin, gamma: this.options.gamma });
      if (!out.edgeLogits) return { loss: lossAU, metrics: { lossAU } };
      const lossEdge = edgeCrossEntropy(out.edgeLogits, edgeLabels(y));
      const loss = tf.add(lossAU, tf.mul(lossEdge, this.options.lambda ?? 0.01)) as tf.Scalar;
      return { loss, metrics: { lossAU, lossEdge } };
    }) as StepLoss;
  }

  /** Trainer hook after each optimizer update: applies the BatchNorm running statistics the step's forward recorded. */
  afterUpdate(): void {
    this.detector.commitBatchNorm();
  }

  dispose(): void {
    this.detector.discardBatchNorm();
    this.weightTensor.dispose();
  }
}
