// The input conditions of the paper's Table 2, as images a detector reads:
//   clean      the faces as they are
//   occluded   the faces with removed patches painted over by a fill (gray by default)
//   composite  the occluded faces reconstructed by a frozen MAE: visible pixels of the
//              input, the MAE's prediction in the removed patches
// The occlusion is an OcclusionSpec of the one occlusion grammar (masks/spec.ts:
// random:0.5, block:0.3, region:eyes, ...). Masks are on the MAE's patch grid (1 =
// removed), so the pixels painted over are exactly those the MAE reconstructs. Each
// image's mask is a function of a key (masks/keys.ts): the frame index for evaluation
// and for cached composites, so the occluded and composite conditions are paired.
import type { Fill } from "../masks/fill.js";
import { formatOcclusion, type OcclusionSpec } from "../masks/spec.js";

export type InputKind = "clean" | "occluded" | "composite";
export const INPUT_KINDS: readonly InputKind[] = ["clean", "occluded", "composite"];

export interface ConditionSpec {
  input: InputKind;
  occlusion: OcclusionSpec;
  /** Fill of the occluded condition. Default "gray". */
  fill?: Fill;
  /** Patch side of the masks in pixels (the MAE's patch size). */
  patch: number;
}

/** Checks that a condition makes sense (occluded/composite need an occlusion). */
export function checkCondition(c: ConditionSpec): void {
  if (c.input !== "clean" && c.occlusion.kind === "none") throw new Error(`input "${c.input}" needs an occlusion (e.g. --occlusion random:0.5, block:0.3 or region:eyes)`);
  if (!INPUT_KINDS.includes(c.input)) throw new Error(`unknown input "${c.input}": choose ${INPUT_KINDS.join(", ")}`);
}

/** A short label, e.g. "clean", "occluded random:0.5", "composite block:0.3". */
export function conditionLabel(c: Pick<ConditionSpec, "input" | "occlusion">): string {
  return c.input === "clean" ? "clean" : `${c.input} ${formatOcclusion(c.occlusion)}`;
}
