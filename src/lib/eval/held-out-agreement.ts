// How well each detector of the Teacher page agrees with the labels over all the page's
// held-out faces under one occlusion, beside the single face it shows: (a) the clean
// detector on the clean faces, (b) on the occluded faces, (c) on their MAE composites, and
// (d) the teacher on the composites. Every face is masked, filled and reconstructed exactly
// as the one-face view does it (heldOutFace, facePredictions), so the face shown is one of
// the faces counted. Scores as the official evaluation counts them (f1.ts: threshold 0.5,
// confusion counts summed over the faces). No DOM.
import type { HeldOutFaces } from "../data/page-dataset.js";
import { applyMask, type Fill } from "../masks/fill.js";
import { formatOcclusion, occlusionMasks, type OcclusionSpec } from "../masks/spec.js";
import type { Detector } from "../models/detector.js";
import type { Mae } from "../models/mae.js";
import { reconstructImages } from "../models/reconstruct.js";
import { predictImages } from "./evaluate.js";
import { AuConfusion, type AuScores } from "./f1.js";
import { CONDITIONS, type Condition } from "./table2.js";

export interface ConditionAgreement extends AuScores {
  /** Per-AU confusion counts [TP, FP, TN, FN], summed over the faces. */
  counts: number[][];
  /** AUs called right per face, on average (the mean accuracy times the number of AUs). */
  rightPerFace: number;
  /** Faces on which every AU is called right. */
  allRight: number;
}

export interface HeldOutAgreement {
  /** The occlusion, as written everywhere (random:0.5:1, block:0.3:0.5:0.5, ...). */
  occlusion: string;
  /** Number of held-out faces scored. */
  faces: number;
  aus: number[];
  /** Per condition (a)-(d): its agreement with the labels over the faces. */
  conditions: Record<Condition, ConditionAgreement>;
}

export interface HeldOutAgreementOptions {
  /** Paint of the removed patches in (b). Default gray, as the one-face view. */
  fill?: Fill;
  /** Faces per MAE and detector forward pass. Default 16. */
  batch?: number;
  /** Score only the first `count` faces. Default all of them. */
  count?: number;
  /** After each batch: faces done out of the total. Awaited, so the page can draw it. */
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

/** The four conditions' agreement with the labels over the held-out `faces` under `occlusion`, in patches of `patch` px. */
export async function heldOutAgreement(
  models: { clean: Detector; teacher: Detector; mae: Mae },
  faces: HeldOutFaces,
  occlusion: OcclusionSpec,
  patch: number,
  options: HeldOutAgreementOptions = {},
): Promise<HeldOutAgreement> {
  const { fill = "gray", batch = 16 } = options;
  const size = faces.size;
  if (models.mae.config.imgSize !== size) throw new Error(`the MAE reads ${models.mae.config.imgSize} px faces, the held-out faces are ${size} px`);
  const N = faces.aus.length;
  for (const d of [models.clean, models.teacher]) if (d.config.numClasses !== N) throw new Error(`a detector has ${d.config.numClasses} outputs for ${N} labelled AUs`);
  const total = Math.min(options.count ?? faces.frames.length, faces.frames.length);
  const ib = size * size * 3;
  const L = (size / patch) ** 2;
  const confusion = Object.fromEntries(CONDITIONS.map((c) => [c, new AuConfusion(N)])) as Record<Condition, AuConfusion>;
  const allRight = Object.fromEntries(CONDITIONS.map((c) => [c, 0])) as Record<Condition, number>;
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const clean = new Uint8Array(n * ib);
    const occluded = new Uint8Array(n * ib);
    const patchMasks = new Float32Array(n * L);
    const labels = new Float32Array(n * N);
    for (let j = 0; j < n; j++) {
      const i = start + j;
      const face = faces.image(i);
      const masks = occlusionMasks(occlusion, faces.frames[i], size, patch);
      clean.set(face, j * ib);
      occluded.set(applyMask({ data: face, width: size, height: size }, masks.pixelMask, fill, { seed: 1 }), j * ib);
      patchMasks.set(masks.patchMask, j * L);
      labels.set(faces.labels(i), j * N);
    }
    const { composite } = await reconstructImages(models.mae, clean, patchMasks);
    const probs: Record<Condition, Float32Array> = {
      "(a)": await predictImages(models.clean, clean, size, batch),
      "(b)": await predictImages(models.clean, occluded, size, batch),
      "(c)": await predictImages(models.clean, composite, size, batch),
      "(d)": await predictImages(models.teacher, composite, size, batch),
    };
    for (const c of CONDITIONS) {
      confusion[c].add(probs[c], labels);
      for (let j = 0; j < n; j++) {
        let right = 0;
        for (let k = 0; k < N; k++) if (probs[c][j * N + k] >= confusion[c].threshold === labels[j * N + k] > 0) right++;
        if (right === N) allRight[c]++;
      }
    }
    await options.onProgress?.(start + n, total);
  }
  const conditions = Object.fromEntries(
    CONDITIONS.map((c) => {
      const scores = confusion[c].scores();
      return [c, { ...scores, counts: confusion[c].table(), rightPerFace: scores.meanAcc * N, allRight: allRight[c] }];
    }),
  ) as Record<Condition, ConditionAgreement>;
  return { occlusion: formatOcclusion(occlusion), faces: total, aus: faces.aus.slice(), conditions };
}
