// Distilling the teacher into the student (the paper's §3.3, eq. 11-14) as a Trainer task.
// For each training face the teacher reads the MAE composite and the student reads the
// occluded face of the same mask variant and the same flip (pairedBatchAt), so both see
// the same face and occlusion; the student never receives the mask, only pixels.
//
//   L = L_AU + lambda * L_E + alpha * (L_kd^AU + beta * L_kd^edge)
//
// L_AU: weighted asymmetric loss on the student's probabilities (per-AU weights from the
// training frames), L_E: edge cross-entropy on its edge logits, L_kd^AU: binary KL per AU
// (teacher || student), L_kd^edge: T^2 * KL over the 4 edge classes (losses/kd.ts). The
// teacher is frozen and in eval mode: its forward records no gradient and no BatchNorm
// statistics. Masks come from cached composite variants (`variants` occlusions per face,
// drawn per image and step): the composites are the MAE's output, computed once, and the
// teacher's outputs on them can be too (teacher-targets.ts).
import * as tf from "@tensorflow/tfjs-core";
import { pairedBatchAt, type PairedBatch } from "../data/batches.js";
import type { AUDataset } from "../data/dataset.js";
import type { FrameImages } from "../data/frames.js";
import { normalizeImages } from "../data/normalize.js";
import { edgeCrossEntropy, edgeLabels } from "../losses/edge.js";
import { edgeKd, KD_DEFAULTS, nodeKd } from "../losses/kd.js";
import { weightedAsymmetricLoss } from "../losses/wal.js";
import type { Fill } from "../masks/fill.js";
import type { OcclusionSpec } from "../masks/spec.js";
import type { Detector } from "../models/detector.js";
import { auWeightsForFrames } from "./detector-task.js";
import { sameBits, teacherOutputs, type TeacherTargets } from "./teacher-targets.js";
import type { StepLoss, TrainTask } from "./trainer.js";

/** Which distillation terms a run uses (ablations: node only, edge only). */
export type KdTerms = "both" | "node" | "edge";

export interface StudentTaskOptions {
  batchSize: number;
  seed: number;
  occlusion: OcclusionSpec;
  /** Patch side of the masks (the MAE's). */
  patch: number;
  /** Paint of the removed patches the student sees. */
  fill: Fill;
  /** Cached composites, one set per occlusion variant (the teacher's input). */
  composites: readonly FrameImages[];
  /** Weight of the student's own edge loss. */
  lambda: number;
  /** Weight of the distillation loss (0: the no-distillation baseline). */
  alpha: number;
  /** Weight of edge KD inside L_kd. */
  beta: number;
  /** Softmax temperature of edge KD. */
  temperature: number;
  kd: KdTerms;
  /** Random horizontal flips. Default true. */
  flip?: boolean;
  /** The teacher's outputs computed beforehand (teacher-targets.ts); without them each step runs the teacher. */
  targets?: TeacherTargets;
}

export class StudentKdTask implements TrainTask {
  readonly variables: Record<string, tf.Variable>;
  readonly auWeights: Float32Array;
  private readonly weightTensor: tf.Tensor1D;
  private targets: TeacherTargets | undefined;

  constructor(
    readonly student: Detector,
    readonly teacher: Detector,
    readonly dataset: AUDataset,
    readonly frames: Int32Array,
    readonly options: StudentTaskOptions,
  ) {
    for (const [who, m] of [["student", student], ["teacher", teacher]] as const) {
      if (m.config.head !== "mefl") throw new Error(`the ${who} needs the MEFL head (edge distillation reads its edge logits); this one has ${m.config.head}`);
      if (m.config.numClasses !== dataset.aus.length) throw new Error(`the ${who} has ${m.config.numClasses} AU outputs, the dataset labels ${dataset.aus.length}`);
      if (m.config.imgSize !== dataset.size) throw new Error(`the ${who} reads ${m.config.imgSize} px faces, the dataset has ${dataset.size} px`);
    }
    if (options.composites.length === 0) throw new Error("distillation needs the teacher's composites (at least one variant)");
    this.variables = student.trainable();
    this.targets = options.targets;
    this.auWeights = auWeightsForFrames(dataset, frames);
    this.weightTensor = tf.tensor1d(this.auWeights);
  }

  /** The paired uint8 inputs of step `step`: occluded faces (student), composites (teacher), labels. */
  inputs(step: number) {
    const o = this.options;
    return pairedBatchAt(this.dataset, this.frames, step, {
      batchSize: o.batchSize,
      seed: o.seed,
      flip: o.flip ?? true,
      occlusion: o.occlusion,
      patch: o.patch,
      fill: o.fill,
      composites: o.composites,
    });
  }

  loss(step: number): StepLoss {
    const batch = this.inputs(step);
    const size = this.dataset.size;
    const o = this.options;
    const student = normalizeImages(batch.occluded, size);
    const t = this.teacherBatch(batch);
    return tf.tidy(() => {
      const B = batch.frames.length;
      const N = this.dataset.aus.length;
      const [tProb, tEdge] = tf.split(t, [B * N, B * N * N * 4]);
      t.dispose();
      const teacherProb = tf.reshape(tProb, [B, N]);
      const teacherEdge = tf.reshape(tEdge, [B, N * N, 4]);
      const y = tf.tensor2d(batch.labels, [B, N]);
      const out = this.student.forward(tf.tensor4d(student.data, student.shape), { training: true });
      const lossAU = weightedAsymmetricLoss(out.prob, y, { weights: this.weightTensor });
      const lossEdge = edgeCrossEntropy(out.edgeLogits!, edgeLabels(y));
      const kdNode = o.kd === "edge" ? tf.scalar(0) : nodeKd(out.prob, teacherProb, { eps: KD_DEFAULTS.eps });
      const kdEdge = o.kd === "node" ? tf.scalar(0) : edgeKd(out.edgeLogits!, teacherEdge, { temperature: o.temperature });
      const kd = tf.add(kdNode, tf.mul(kdEdge, o.beta));
      const loss = tf.addN([lossAU, tf.mul(lossEdge, o.lambda), tf.mul(kd, o.alpha)]) as tf.Scalar;
      return { loss, metrics: { lossAU, lossEdge, kdNode, kdEdge } };
    }) as StepLoss;
  }

  /** The frozen teacher's outputs on the batch's composites: [B x N] probabilities, then [B x N x N x 4] edge logits. */
  private teacherBatch(batch: PairedBatch): tf.Tensor1D {
    if (this.targets) return tf.tensor1d(this.targets.gather(batch.frames, batch.variants, batch.flipped));
    return teacherOutputs(this.teacher, batch.composite!, this.dataset.size);
  }

  /**
   * Whether the precomputed targets are the bits the teacher gives on the first step's
   * batch here (the same build and backend); if not they are dropped and every step runs
   * the teacher. Call before training.
   */
  async checkTargets(): Promise<boolean> {
    if (!this.targets) return false;
    const batch = this.inputs(0);
    const live = teacherOutputs(this.teacher, batch.composite!, this.dataset.size);
    const values = (await live.data()) as Float32Array;
    live.dispose();
    const same = sameBits(values, this.targets.gather(batch.frames, batch.variants, batch.flipped));
    if (!same) this.targets = undefined;
    return same;
  }

  /** BatchNorm running statistics of the student (the teacher's never move). */
  afterUpdate(): void {
    this.student.commitBatchNorm();
  }

  dispose(): void {
    this.student.discardBatchNorm();
    this.weightTensor.dispose();
  }
}
