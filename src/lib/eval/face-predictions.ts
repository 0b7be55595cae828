// What the four detectors of the paper's Table 2 read on one face under one occlusion:
// (a) the clean detector on the clean face, (b) on the occluded face, (c) on the MAE
// composite of the occluded face, and (d) the teacher on that composite. The occluded
// face's removed patches are painted with a fill; the composite keeps its visible pixels.
import type { Condition } from "./table2.js";
import { predictImages } from "./evaluate.js";
import type { HeldOutFaces } from "../data/page-dataset.js";
import { applyMask, type Fill } from "../masks/fill.js";
import { occlusionMasks, type OcclusionMasks, type OcclusionSpec } from "../masks/spec.js";
import type { Detector } from "../models/detector.js";
import type { Mae } from "../models/mae.js";
import { reconstructImages } from "../models/reconstruct.js";

/** What each condition's detector reads, in words. */
export const PREDICTION_LABELS: Record<Condition, string> = {
  "(a)": "(a) on the clean face",
  "(b)": "(b) (a) on the occluded face",
  "(c)": "(c) (a) on the composite",
  "(d)": "(d) teacher on the composite",
};

export interface FacePredictions {
  /** [S, S, 3] uint8: the face with the removed patches filled. */
  occluded: Uint8Array;
  /** [S, S, 3] uint8: visible pixels of the face, the MAE's reconstruction elsewhere. */
  composite: Uint8Array;
  /** The MAE's mean squared error on the removed patches (normalised pixels). */
  removedError: number;
  /** Per condition, the probability of each AU. */
  probs: Record<Condition, Float32Array>;
}

/** The four conditions' predictions for `face` ([S, S, 3] uint8) under `masks`. */
export async function facePredictions(
  models: { clean: Detector; teacher: Detector; mae: Mae },
  face: Uint8Array,
  masks: OcclusionMasks,
  fill: Fill = "gray",
): Promise<FacePredictions> {
  const size = models.mae.config.imgSize;
  const occluded = applyMask({ data: face, width: size, height: size }, masks.pixelMask, fill, { seed: 1 });
  const rec = await reconstructImages(models.mae, face, masks.patchMask);
  const probs = {
    "(a)": await predictImages(models.clean, face, size),
    "(b)": await predictImages(models.clean, occluded, size),
    "(c)": await predictImages(models.clean, rec.composite, size),
    "(d)": await predictImages(models.teacher, rec.composite, size),
  };
  return { occluded, composite: rec.composite, removedError: rec.removedError[0], probs };
}

/** A held-out face under an occlusion: what the page shows before any model has run. */
export interface HeldOutFace {
  /** [size, size, 3] uint8. */
  face: Uint8Array;
  size: number;
  subject: string;
  aus: number[];
  /** 0/1 per AU. */
  labels: Float32Array;
  masks: OcclusionMasks;
  /** [size, size, 3] uint8: the face with the removed patches filled (as condition (b) reads it). */
  occluded: Uint8Array;
}

/**
 * Held-out face `index` under `occlusion`, masked as evaluation masks its frame (the frame
 * index is the mask key), in patches of `patch` pixels. No model is needed.
 */
export function heldOutFace(faces: HeldOutFaces, index: number, occlusion: OcclusionSpec, patch: number, fill: Fill = "gray"): HeldOutFace {
  const face = faces.image(index);
  const masks = occlusionMasks(occlusion, faces.frames[index], faces.size, patch);
  return {
    face,
    size: faces.size,
    subject: faces.subject(index),
    aus: faces.aus,
    labels: faces.labels(index),
    masks,
    occluded: applyMask({ data: face, width: faces.size, height: faces.size }, masks.pixelMask, fill, { seed: 1 }),
  };
}
