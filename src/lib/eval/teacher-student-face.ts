// Teacher and student on one occluded face, as in evaluation: the teacher reads the MAE
// composite of the face under the mask (visible pixels kept, removed patches
// reconstructed), the student reads the occluded face itself (removed patches filled, as
// HeldOutFace gives it). The index page's thumbnails draw this. No DOM.
import type { Detector } from "../models/detector.js";
import type { Mae } from "../models/mae.js";
import { reconstructImages } from "../models/reconstruct.js";
import { predictImages } from "./evaluate.js";
import type { HeldOutFace } from "./face-predictions.js";

export interface TeacherStudentModels {
  mae: Mae;
  /** A detector that reads composites (the stage-2 teacher). */
  teacher: Detector;
  /** A detector that reads occluded faces (the student). */
  student: Detector;
}

export interface TeacherStudentFace {
  /** [S, S, 3] uint8: the face's visible pixels, the MAE's reconstruction elsewhere. */
  composite: Uint8Array;
  /** The MAE's mean squared error on the removed patches (normalised pixels). */
  removedError: number;
  /** AU probabilities [N] of the teacher on the composite and of the student on the occluded face. */
  teacher: Float32Array;
  student: Float32Array;
}

/** The MAE's composite of `shown` and both models' AU probabilities on what each reads. */
export async function teacherStudentOnFace(models: TeacherStudentModels, shown: Pick<HeldOutFace, "face" | "occluded" | "masks" | "size">): Promise<TeacherStudentFace> {
  const { size } = shown;
  if (models.mae.config.imgSize !== size) throw new Error(`teacherStudentOnFace: the MAE reads ${models.mae.config.imgSize} px faces, the face is ${size} px`);
  const rec = await reconstructImages(models.mae, shown.face, shown.masks.patchMask);
  return {
    composite: rec.composite,
    removedError: rec.removedError[0],
    teacher: await predictImages(models.teacher, rec.composite, size),
    student: await predictImages(models.student, shown.occluded, size),
  };
}

/** How many AUs a model calls right at the 0.5 threshold (probability ≥ 0.5 exactly when the label is on). */
export function correctCalls(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (probs[i] >= 0.5 === labels[i] > 0) n++;
  return n;
}
