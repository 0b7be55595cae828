// The features that feature maps embed, for any Detector (the clean detector, a teacher, a
// student): per face, the AU node features the classifier reads (forward(...).nodeFeatures,
// [N, C]) and the backbone tokens the head reads, mean-pooled over the tokens
// (forwardFeatures, [T, C_b] -> [C_b]; the student's are its aligned tokens). And the faces
// to read them on: held-out faces with their labels, subjects and an occlusion, each face
// masked as evaluation masks it (keyed by its frame index), in the three forms the models
// read: clean (the clean detector), occluded with the removed patches painted (the clean
// detector under occlusion, the student) and the MAE composite (the teacher). No DOM.
import * as tf from "@tensorflow/tfjs-core";
import { normalizeImages } from "../data/normalize.js";
import type { HeldOutFaces } from "../data/page-dataset.js";
import { applyMask, type Fill } from "../masks/fill.js";
import { formatOcclusion, occlusionMasks, type OcclusionSpec } from "../masks/spec.js";
import type { Detector } from "../models/detector.js";
import type { Mae } from "../models/mae.js";
import { reconstructImages } from "../models/reconstruct.js";

/** Row-major features [n, d], what project() and silhouette() take. */
export interface FeatureMatrix {
  data: Float32Array;
  n: number;
  d: number;
}

/** What one detector reads out on `count` faces (eval mode). */
export interface DetectorFeatures {
  count: number;
  /** N: AUs (graph nodes). */
  numAus: number;
  /** C: node feature width. */
  nodeChannels: number;
  /** C_b: backbone token width. */
  tokenChannels: number;
  /** [count, N, C]: forward(...).nodeFeatures. */
  nodes: Float32Array;
  /** [count, C_b]: forwardFeatures(...) averaged over its tokens. */
  tokens: Float32Array;
  /** [count, N]: the AU probabilities (forward(...).prob), for colouring by prediction. */
  probs: Float32Array;
}

export interface DetectorFeatureOptions {
  /** Faces per forward pass. Default 32. */
  batch?: number;
  /** After each batch: faces done out of the total. Awaited, so a page can draw it. */
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

/** Node features, pooled tokens and probabilities of `detector` (eval mode) on uint8 faces [count, S, S, 3]. */
export async function detectorFeatures(detector: Detector, images: Uint8Array, options: DetectorFeatureOptions = {}): Promise<DetectorFeatures> {
  const { batch = 32 } = options;
  const size = detector.config.imgSize;
  const ib = size * size * 3;
  const count = images.length / ib;
  if (!Number.isInteger(count)) throw new Error(`detectorFeatures: ${images.length} bytes is not a whole number of ${size} px faces`);
  const N = detector.config.numClasses;
  const C = detector.config.inChannels;
  let tokenChannels = -1;
  const nodes = new Float32Array(count * N * C);
  const probs = new Float32Array(count * N);
  let tokens = new Float32Array(0);
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const { data, shape } = normalizeImages(images.subarray(start * ib, (start + b) * ib), size);
    const [pooled, nodeFeatures, prob] = tf.tidy(() => {
      const feats = detector.forwardFeatures(tf.tensor4d(data, shape), { training: false });
      const out = detector.forwardHead(feats, { training: false });
      return [tf.mean(feats, 1), out.nodeFeatures, out.prob];
    });
    if (tokenChannels < 0) {
      tokenChannels = pooled.shape[1]!;
      tokens = new Float32Array(count * tokenChannels);
    }
    const [t, v, p] = await Promise.all([pooled.data(), nodeFeatures.data(), prob.data()]);
    tf.dispose([pooled, nodeFeatures, prob]);
    tokens.set(t as Float32Array, start * tokenChannels);
    nodes.set(v as Float32Array, start * N * C);
    probs.set(p as Float32Array, start * N);
    await options.onProgress?.(start + b, count);
  }
  return { count, numAus: N, nodeChannels: C, tokenChannels: Math.max(tokenChannels, 0), nodes, tokens, probs };
}

/** The node features of AU node `au` (index into the detector's AUs): [count, C]. */
export function auNodeFeatures(f: DetectorFeatures, au: number): FeatureMatrix {
  if (!(Number.isInteger(au) && au >= 0 && au < f.numAus)) throw new Error(`AU node ${au} does not exist: the detector has ${f.numAus}`);
  const { count: n, numAus: N, nodeChannels: C } = f;
  const data = new Float32Array(n * C);
  for (let i = 0; i < n; i++) data.set(f.nodes.subarray((i * N + au) * C, (i * N + au + 1) * C), i * C);
  return { data, n, d: C };
}

/** Every AU node's features of a face, concatenated: [count, N * C]. */
export function allNodeFeatures(f: DetectorFeatures): FeatureMatrix {
  return { data: f.nodes.slice(), n: f.count, d: f.numAus * f.nodeChannels };
}

/** The mean-pooled backbone tokens: [count, C_b]. */
export function pooledTokenFeatures(f: DetectorFeatures): FeatureMatrix {
  return { data: f.tokens.slice(), n: f.count, d: f.tokenChannels };
}

/** Held-out faces prepared for feature maps: one occlusion, the three inputs, and what to colour by. */
export interface FeatureFaces {
  count: number;
  size: number;
  /** The occlusion, as written everywhere (random:0.5:1, block:0.3, ...); several joined by ", " when the faces cycle through a list. */
  occlusion: string;
  /** The occlusion of each face (all the same unless a list was given). */
  faceOcclusions: string[];
  aus: number[];
  /** 0/1 labels [count, N]. */
  labels: Float32Array;
  /** Subject of each face (identity). */
  subjects: string[];
  /** Fraction of each face's patches removed by the occlusion. */
  occludedFraction: Float32Array;
  /** [count, S, S, 3] uint8: the faces as they are. */
  clean: Uint8Array;
  /** [count, S, S, 3] uint8: removed patches painted with the fill. */
  occluded: Uint8Array;
  /** [count, S, S, 3] uint8: the MAE composites (visible pixels + reconstruction); empty without an MAE. */
  composites: Uint8Array;
}

export interface FeatureFacesOptions {
  /** The first `count` held-out faces. Default all. */
  count?: number;
  /** Paint of the removed patches. Default gray, as the pages' one-face views. */
  fill?: Fill;
  /** Faces per MAE pass. Default 32. */
  batch?: number;
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

/**
 * The first `count` held-out faces under `occlusion` (patches of `patch` px), each masked
 * with its frame's evaluation mask: clean, occluded and, given the MAE, composites.
 * A clean detector reads `clean` (or `occluded`), a teacher `composites`, a student `occluded`.
 * Given a list of occlusions, face i takes occlusion i mod the list's length (a map
 * coloured by occlusion ratio needs faces under several ratios).
 */
export async function featureFaces(faces: HeldOutFaces, occlusion: OcclusionSpec | readonly OcclusionSpec[], patch: number, mae: Mae | null, options: FeatureFacesOptions = {}): Promise<FeatureFaces> {
  const occlusions: readonly OcclusionSpec[] = Array.isArray(occlusion) ? occlusion : [occlusion as OcclusionSpec];
  if (occlusions.length === 0) throw new Error("featureFaces needs at least one occlusion");
  const texts = occlusions.map(formatOcclusion);
  const { fill = "gray", batch = 32 } = options;
  const size = faces.size;
  if (mae && mae.config.imgSize !== size) throw new Error(`the MAE reads ${mae.config.imgSize} px faces, the held-out faces are ${size} px`);
  const count = Math.min(options.count ?? faces.frames.length, faces.frames.length);
  const N = faces.aus.length;
  const ib = size * size * 3;
  const L = (size / patch) ** 2;
  const clean = new Uint8Array(count * ib);
  const occluded = new Uint8Array(count * ib);
  const composites = new Uint8Array(mae ? count * ib : 0);
  const patchMasks = new Float32Array(count * L);
  const labels = new Float32Array(count * N);
  const occludedFraction = new Float32Array(count);
  const subjects: string[] = [];
  const faceOcclusions: string[] = [];
  for (let i = 0; i < count; i++) {
    const face = faces.image(i);
    const masks = occlusionMasks(occlusions[i % occlusions.length], faces.frames[i], size, patch);
    faceOcclusions.push(texts[i % occlusions.length]);
    clean.set(face, i * ib);
    occluded.set(applyMask({ data: face, width: size, height: size }, masks.pixelMask, fill, { seed: 1 }), i * ib);
    patchMasks.set(masks.patchMask, i * L);
    labels.set(faces.labels(i), i * N);
    occludedFraction[i] = masks.removed / L;
    subjects.push(faces.subject(i));
  }
  for (let start = 0; start < count && mae; start += batch) {
    const b = Math.min(batch, count - start);
    const { composite } = await reconstructImages(mae, clean.subarray(start * ib, (start + b) * ib), patchMasks.subarray(start * L, (start + b) * L));
    composites.set(composite, start * ib);
    await options.onProgress?.(start + b, count);
  }
  if (!mae) await options.onProgress?.(count, count);
  return { count, size, occlusion: texts.join(", "), faceOcclusions, aus: faces.aus.slice(), labels, subjects, occludedFraction, clean, occluded, composites };
}
