// The paper's Fig. 3 as data: mean F1 of each model against the occlusion, written by
// `maskau reproduce fig3` (src/data/fig3.json) and drawn by the pages. No DOM.
import type { InputKind } from "./conditions.js";
import type { Fill } from "../masks/fill.js";
import { parseOcclusion } from "../masks/spec.js";

/** The paper's Fig. 3 as its text states it (the plotted values are not given): the student at 70% random patches. */
export const PAPER_FIG3 = { student: { "random:0.7": 55.8 } } as const;

export interface Fig3Point {
  /** "(b)" | "(c)" | "(d)" | "(e)". */
  condition: string;
  model: string;
  ckpt: string;
  input: InputKind;
  occlusion: string;
  f1: number[];
  meanF1: number;
}

export interface Fig3File {
  command: string;
  dataset: Record<string, unknown>;
  fold: number;
  fill: Fill;
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
  return f as Fig3File;
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
