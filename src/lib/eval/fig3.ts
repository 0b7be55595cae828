// The paper's Fig. 3 as data: mean F1 of each model against the occlusion, written by
// `maskau reproduce fig3` (src/data/fig3.json) and drawn by the pages. No DOM.
//
// A record holds one fill (the paint of the removed patches in the occluded inputs (b) and
// (e)), or several when the command swept fills (--fill gray,black,...): then it lists them
// in `fills` and every occluded point names its own. The composite points (c) and (d) name
// none: the MAE reads the visible patches only, so the composites, and the scores on them,
// are the same under every fill (tests/lib/eval/held-out-sweep.test.ts), and such a record
// holds them once. fig3ForFill cuts a record to one fill, the shape every reader of a
// one-fill record expects.
import type { InputKind } from "./conditions.js";
import type { Fill } from "../masks/fill.js";
import { parseOcclusion } from "../masks/spec.js";

/** The paper's Fig. 3 as its text states it (the plotted values are not given): the student at 70% random patches. */
/** The dataset of the paper's Fig. 3 (its values are shown beside that dataset's curves only). */
export const PAPER_FIG3_DATASET = "bp4d";

export const PAPER_FIG3 = { student: { "random:0.7": 55.8 } } as const;

export interface Fig3Point {
  /** "(b)" | "(c)" | "(d)" | "(e)". */
  condition: string;
  model: string;
  ckpt: string;
  input: InputKind;
  occlusion: string;
  /** The fill of an occluded point in a record of several fills (absent: the record's fill, or, in a record of several, every fill). */
  fill?: Fill;
  f1: number[];
  meanF1: number;
}

export interface Fig3File {
  command: string;
  dataset: Record<string, unknown>;
  fold: number;
  /** The fill of every point of a one-fill record; in a record of several fills, the first of `fills`. */
  fill: Fill;
  /** The fills of a record of several fills, in the order swept (absent: `fill` only). */
  fills?: Fill[];
  aus: number[];
  occlusions: string[];
  points: Fig3Point[];
  paper: typeof PAPER_FIG3;
}

/** Checks the shape of a fig3.json, naming what is wrong. */
export function checkFig3(json: unknown, source = "fig3.json"): Fig3File {
  const f = json as Partial<Fig3File> | null;
  if (!f || typeof f !== "object") throw new Error(`${source}: not a JSON object`);
  if (!Array.isArray(f.occlusions) || !Array.isArray(f.points) || !Array.isArray(f.aus)) throw new Error(`${source}: needs occlusions, aus and points (written by maskau reproduce fig3)`);
  for (const p of f.points) {
    if (typeof p?.condition !== "string" || typeof p.occlusion !== "string" || !(typeof p.meanF1 === "number" && p.meanF1 >= 0 && p.meanF1 <= 1)) {
      throw new Error(`${source}: a point lacks its condition, occlusion or a mean F1 in [0, 1]: ${JSON.stringify(p).slice(0, 120)}`);
    }
  }
  if (f.fills !== undefined) {
    if (!Array.isArray(f.fills) || f.fills.length === 0) throw new Error(`${source}: fills must be a non-empty list`);
    const fills = f.fills.map(fillKey);
    for (const p of f.points) {
      if (p.fill !== undefined && !fills.includes(fillKey(p.fill))) throw new Error(`${source}: a point names a fill the record does not list: ${JSON.stringify(p).slice(0, 120)}`);
      if (p.fill === undefined && p.input === "occluded") throw new Error(`${source}: an occluded point of a record of several fills names no fill: ${JSON.stringify(p).slice(0, 120)}`);
    }
  }
  return f as Fig3File;
}

/** A fill as text, to compare fills (a colour fill is an object). */
export function fillKey(fill: Fill): string {
  return typeof fill === "string" ? fill : JSON.stringify(fill);
}

/** The fills a record covers. */
export function fig3Fills(file: Fig3File): Fill[] {
  return file.fills ?? [file.fill];
}

/**
 * The record cut to one fill, as a one-fill record (null when it does not hold that fill):
 * the occluded points of that fill and the composite points, which hold for every fill.
 */
export function fig3ForFill(file: Fig3File, fill: Fill): Fig3File | null {
  const key = fillKey(fill);
  if (!fig3Fills(file).some((f) => fillKey(f) === key)) return null;
  if (!file.fills) return file;
  const points = file.points.filter((p) => p.fill === undefined || fillKey(p.fill) === key).map((p) => {
    const one = { ...p };
    delete one.fill;
    return one;
  });
  const one: Fig3File = { ...file, fill, points };
  delete one.fills;
  return one;
}

/** Share of the face an occlusion removes, in percent, for the x axis (random: its ratio; block: its area). */
export function removedPercent(occlusion: string): number | null {
  const o = parseOcclusion(occlusion);
  if (o.kind === "random") return 100 * o.ratio;
  if (o.kind === "block") return 100 * o.area;
  return null;
}

/** Points as rows for a line chart: condition, model, x (% removed), mean F1 (%). */
export function fig3Series(file: Fig3File): { condition: string; model: string; occlusion: string; removed: number; meanF1: number }[] {
  return file.points.flatMap((p) => {
    const removed = removedPercent(p.occlusion);
    return removed === null ? [] : [{ condition: p.condition, model: p.model, occlusion: p.occlusion, removed, meanF1: 100 * p.meanF1 }];
  });
}
