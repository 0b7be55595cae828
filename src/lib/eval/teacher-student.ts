// Teacher and student side by side on a fixed set of held-out faces (the Student & KD
// page). Each face is occluded once, with the mask evaluation gives it (keyed by its frame
// index): the teacher reads the MAE composite, the student the occluded face (removed
// patches painted with the run's fill), as in distillation and in evaluation. The teacher
// is frozen, so its outputs are computed once; the student's are compared with them at
// each measurement: per-AU and per-face binary KL (node KD's terms), F1 of both on the
// labels, and the edge-class probabilities (softmax of the edge logits) of both.
import * as tf from "@tensorflow/tfjs-core";
import type { AUDataset } from "../data/dataset.js";
import { gatherLabels } from "../data/frames.js";
import { normalizeImages } from "../data/normalize.js";
import { binaryKl, KD_DEFAULTS, nodeKdPerAu } from "../losses/kd.js";
import type { Detector } from "../models/detector.js";
import type { Mae } from "../models/mae.js";
import { buildComposites } from "./composites.js";
import type { ConditionSpec } from "./conditions.js";
import { conditionImages } from "./evaluate.js";
import { AuConfusion, type AuScores } from "./f1.js";

/** What a MEFL detector reads out on E faces. */
export interface KdOutputs {
  /** AU probabilities [E, N], row-major. */
  prob: Float32Array;
  /** Edge-class probabilities [E, N*N, 4] (softmax of the edge logits; pair e = i*N + j, class 2*y_i + y_j). */
  edgeProb: Float32Array;
}

/** The held-out faces both models are compared on, with the teacher's (constant) outputs. */
export interface KdHeldOutSet {
  /** Frame indices in the dataset (each face's mask key). */
  frames: Int32Array;
  size: number;
  aus: number[];
  subjects: string[];
  /** 0/1 labels [E, N]. */
  labels: Float32Array;
  /** [E, S, S, 3] uint8: what the student reads (the occluded faces). */
  occluded: Uint8Array;
  /** [E, S, S, 3] uint8: what the teacher reads (their MAE composites). */
  composites: Uint8Array;
  teacher: KdOutputs;
  /** The teacher's per-AU F1 on these faces. */
  teacherScores: AuScores;
}

/** How far the student is from the teacher on the held-out set, at one step. */
export interface KdComparison {
  step: number;
  /** Node KD of each AU: binary KL(teacher || student) averaged over the faces. */
  klPerAu: number[];
  /** Binary KL averaged over the AUs, per face [E]. */
  klPerFace: Float32Array;
  /** Node KD over the whole set (the mean of klPerAu). */
  meanKl: number;
  studentScores: AuScores;
  student: KdOutputs;
}

/** AU probabilities and edge-class probabilities of a MEFL detector (eval mode) on uint8 faces [E, S, S, 3]. */
export async function kdOutputs(detector: Detector, images: Uint8Array, { batchSize = 32 }: { batchSize?: number } = {}): Promise<KdOutputs> {
  if (detector.config.head !== "mefl") throw new Error(`kdOutputs: the detector has the ${detector.config.head} head; edge probabilities need MEFL`);
  const size = detector.config.imgSize;
  const N = detector.config.numClasses;
  const ib = size * size * 3;
  const count = images.length / ib;
  if (!Number.isInteger(count)) throw new Error(`kdOutputs: ${images.length} bytes is not a whole number of ${size} px faces`);
  const prob = new Float32Array(count * N);
  const edgeProb = new Float32Array(count * N * N * 4);
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const { data, shape } = normalizeImages(images.subarray(start * ib, (start + b) * ib), size);
    const [p, e] = tf.tidy(() => {
      const out = detector.forward(tf.tensor4d(data, shape), { training: false });
      return [out.prob, tf.softmax(out.edgeLogits!)];
    });
    prob.set(await p.data(), start * N);
    edgeProb.set(await e.data(), start * N * N * 4);
    tf.dispose([p, e]);
  }
  return { prob, edgeProb };
}

function scores(prob: Float32Array, labels: Float32Array, n: number): AuScores {
  return new AuConfusion(n).add(prob, labels).scores();
}

/**
 * The held-out set of `frames` under the student's condition (occluded input: occlusion,
 * fill, patch): occluded faces, their MAE composites (the evaluation's masks, variant 0)
 * and the frozen teacher's outputs on the composites.
 */
export async function kdHeldOutSet(teacher: Detector, mae: Mae, dataset: AUDataset, frames: Int32Array, condition: ConditionSpec): Promise<KdHeldOutSet> {
  if (condition.input !== "occluded") throw new Error(`kdHeldOutSet: the student reads occluded faces, not "${condition.input}"`);
  const composites = (await buildComposites(mae, dataset, frames, condition.occlusion)).images;
  const occluded = conditionImages(dataset, frames, condition);
  const labels = gatherLabels(dataset, frames);
  const out = await kdOutputs(teacher, composites);
  return {
    frames: Int32Array.from(frames),
    size: dataset.size,
    aus: dataset.aus.slice(),
    subjects: Array.from(frames, (f) => dataset.subjects[dataset.subject[f]]),
    labels,
    occluded,
    composites,
    teacher: out,
    teacherScores: scores(out.prob, labels, dataset.aus.length),
  };
}

/** The student (eval mode) on the set's occluded faces, compared with the teacher. */
export async function compareWithTeacher(student: Detector, set: KdHeldOutSet, step: number): Promise<KdComparison> {
  const out = await kdOutputs(student, set.occluded);
  const N = set.aus.length;
  const E = set.frames.length;
  const [perAu, perFace] = tf.tidy(() => {
    const s = tf.tensor2d(out.prob, [E, N]);
    const t = tf.tensor2d(set.teacher.prob, [E, N]);
    return [nodeKdPerAu(s, t, { eps: KD_DEFAULTS.eps }), tf.mean(binaryKl(s, t, { eps: KD_DEFAULTS.eps }), 1)];
  });
  const klPerAu = Array.from(await perAu.data());
  const klPerFace = (await perFace.data()) as Float32Array;
  tf.dispose([perAu, perFace]);
  return {
    step,
    klPerAu,
    klPerFace,
    meanKl: klPerAu.reduce((a, v) => a + v, 0) / N,
    studentScores: scores(out.prob, set.labels, N),
    student: out,
  };
}

/** The held-out faces ordered by how much the student disagrees with the teacher (largest per-face KL first). */
export function disagreementOrder(klPerFace: ArrayLike<number>): number[] {
  return Array.from({ length: klPerFace.length }, (_, i) => i).sort((a, b) => klPerFace[b] - klPerFace[a] || a - b);
}

/** Face `face`'s probability of edge class `cls` for every ordered AU pair, as an [N][N] matrix (row i, column j). */
export function edgeClassMatrix(edgeProb: ArrayLike<number>, face: number, n: number, cls = 3): number[][] {
  const base = face * n * n * 4;
  if (base + n * n * 4 > edgeProb.length) throw new Error(`edgeClassMatrix: face ${face} is past the ${edgeProb.length / (n * n * 4)} faces given`);
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => edgeProb[base + (i * n + j) * 4 + cls]));
}

/** Face `face`'s row of an [E, N] array. */
export function faceRow(values: Float32Array, face: number, n: number): Float32Array {
  return values.subarray(face * n, (face + 1) * n);
}

/** [S, S, 3] image `face` of a stack of uint8 faces. */
export function faceImage(images: Uint8Array, face: number, size: number): Uint8Array {
  const ib = size * size * 3;
  return images.subarray(face * ib, (face + 1) * ib);
}
