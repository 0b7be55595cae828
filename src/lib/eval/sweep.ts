// A detector evaluated under several input conditions on the same frames: clean
// once, then occluded and composite per occlusion. A test frame's mask is a function
// of its index, so the occluded and composite rows see the same occlusion of each face.
import type { AUDataset } from "../data/dataset.js";
import type { Detector } from "../models/detector.js";
import { formatOcclusion, parseOcclusion, type OcclusionSpec } from "../masks/spec.js";
import type { FrameImages } from "../data/frames.js";
import { conditionLabel, type ConditionSpec, type InputKind } from "./conditions.js";
import { evaluateDetector, type Evaluation } from "./evaluate.js";
import type { Fill } from "../masks/fill.js";

export interface SweepRow {
  label: string;
  input: InputKind;
  occlusion: string;
  evaluation: Evaluation;
}

export interface SweepOptions {
  fill?: Fill;
  /** Patch side of the masks (the MAE's). */
  patch: number;
  /** Composites of `frames` under an occlusion (needed for composite rows). */
  composites?: (frames: Int32Array, occlusion: OcclusionSpec) => Promise<FrameImages>;
  onProgress?: (label: string, done: number, total: number) => void;
}

/** The conditions of a sweep: clean once; occluded / composite per occlusion ("none" skipped). */
export function sweepConditions(inputs: InputKind[], occlusions: string[], fill: Fill, patch: number): ConditionSpec[] {
  const out: ConditionSpec[] = [];
  for (const input of inputs) {
    if (input === "clean") out.push({ input, occlusion: parseOcclusion("none"), fill, patch });
    else for (const occ of occlusions) if (occ !== "none") out.push({ input, occlusion: parseOcclusion(occ), fill, patch });
  }
  return out;
}

export async function evaluateSweep(detector: Detector, ds: AUDataset, frames: Int32Array, inputs: InputKind[], occlusions: string[], options: SweepOptions): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  for (const condition of sweepConditions(inputs, occlusions, options.fill ?? "gray", options.patch)) {
    if (condition.input === "composite" && !options.composites) throw new Error(`input composite needs the MAE that reconstructs the faces (--mae FILE)`);
    const composites = condition.input === "composite" ? await options.composites!(frames, condition.occlusion) : undefined;
    const label = conditionLabel(condition);
    const evaluation = await evaluateDetector(detector, ds, frames, { condition, composites, onProgress: (d, t) => options.onProgress?.(label, d, t) });
    rows.push({ label, input: condition.input, occlusion: formatOcclusion(condition.occlusion), evaluation });
  }
  return rows;
}
