// What the Evaluation page draws from a sweep, as plain rows: the occlusions of each sweep
// type (the x axis), the precomputed Fig. 3 record cut to the models picked when it covers
// them, the curve rows (mean F1 against the share removed, or against the region) and the
// heatmap cells (AU x occlusion, per model). No DOM.
import type { Fill } from "../masks/fill.js";
import { parseOcclusion } from "../masks/spec.js";
import type { SweepType } from "./evaluation-settings.js";
import { fig3ForFill, removedPercent, type Fig3File, type Fig3Point } from "./fig3.js";

/** The sweep's result, computed here (HeldOutSweep) or precomputed (fig3.json), and where it comes from. */
export interface SweepView {
  source: "precomputed" | "browser";
  /** Faces scored at each occlusion (null: a whole test fold, as the record's caption says). */
  faces: number | null;
  fill: Fill;
  aus: number[];
  occlusions: string[];
  points: Fig3Point[];
  /** How to rebuild it (a command, or what the page ran). */
  caption: string;
}

/** The face regions a region sweep covers, top to bottom, then the halves. */
export const SWEEP_REGIONS = ["brows", "eyes", "nose", "mouth", "chin", "upper-half", "lower-half"] as const;

/** The occlusions a sweep of `type` runs over: random patches 10-70% (Fig. 3), one block of 10-50% of the face, or each region. */
export function sweepOcclusions(type: SweepType): string[] {
  if (type === "random") return [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((r) => `random:${r}`);
  if (type === "block") return [0.1, 0.2, 0.3, 0.4, 0.5].map((a) => `block:${a}`);
  if (type === "region") return SWEEP_REGIONS.map((r) => `region:${r}`);
  throw new Error(`unknown sweep type "${String(type)}": choose random, block or region`);
}

/** The sweep type of an occlusion text (null for none and paint). */
export function sweepTypeOf(occlusion: string): SweepType | null {
  const kind = parseOcclusion(occlusion).kind;
  return kind === "random" || kind === "block" || kind === "region" ? kind : null;
}

export interface PrecomputedRequest {
  type: SweepType;
  fill: Fill;
  /** Checkpoint paths as the record names them (src/checkpoints/...). */
  teacherCkpt: string;
  studentCkpt: string | null;
}

/**
 * The precomputed record cut to the curves of the request: the clean detector's (b) and (c),
 * the teacher's (d) and the student's (e), when the record holds the fill (a record of
 * several fills is cut to it), over occlusions of the same type and with these checkpoints;
 * null when it does not cover them (then the page runs the sweep here).
 */
export function precomputedSweep(record: Fig3File, request: PrecomputedRequest): SweepView | null {
  const file = fig3ForFill(record, request.fill);
  if (!file) return null;
  if (!file.occlusions.length || !file.occlusions.every((o) => sweepTypeOf(o) === request.type)) return null;
  const teacher = file.points.filter((p) => p.condition === "(d)" && p.ckpt === request.teacherCkpt);
  const student = request.studentCkpt === null ? [] : file.points.filter((p) => p.condition === "(e)" && p.ckpt === request.studentCkpt);
  if (!teacher.length || (request.studentCkpt !== null && !student.length)) return null;
  const clean = file.points.filter((p) => p.condition === "(b)" || p.condition === "(c)");
  return {
    source: "precomputed",
    faces: null,
    fill: file.fill,
    aus: file.aus,
    occlusions: file.occlusions,
    points: [...clean, ...teacher, ...student],
    caption: `Precomputed on all of test fold ${file.fold} of the default dataset; rebuild: ${file.command}.`,
  };
}

/** The x value of an occlusion: the share of the face removed in percent, or the region's name. */
export function occlusionAxisValue(occlusion: string): number | string {
  const o = parseOcclusion(occlusion);
  if (o.kind === "region") return o.region;
  return removedPercent(occlusion) ?? occlusion;
}

export interface CurveRow {
  condition: string;
  model: string;
  occlusion: string;
  x: number | string;
  meanF1: number;
}

/** Mean F1 (%) per model and occlusion, in the order of the sweep's occlusions. */
export function curveRows(view: Pick<SweepView, "points">): CurveRow[] {
  return view.points.map((p) => ({ condition: p.condition, model: p.model, occlusion: p.occlusion, x: occlusionAxisValue(p.occlusion), meanF1: 100 * p.meanF1 }));
}

export interface HeatmapCell {
  condition: string;
  model: string;
  occlusion: string;
  x: string;
  au: string;
  /** F1 in percent. */
  f1: number;
}

/** One cell per model, occlusion and AU: the AU's F1 (%) at that occlusion. Points without per-AU F1 are left out. */
export function heatmapCells(view: Pick<SweepView, "points" | "aus">): HeatmapCell[] {
  return view.points.flatMap((p) => {
    if (!Array.isArray(p.f1) || p.f1.length !== view.aus.length) return [];
    const x = occlusionAxisValue(p.occlusion);
    const label = typeof x === "number" ? `${+x.toFixed(1)}%` : x;
    return view.aus.map((au, i) => ({ condition: p.condition, model: p.model, occlusion: p.occlusion, x: label, au: `AU${au}`, f1: 100 * p.f1[i] }));
  });
}
