// Charts of a dataset summary (Observable Plot): per-AU base rates against the
// calibration targets, per-fold positives, the AU co-occurrence heatmap and
// intensity histograms. Inputs are plain rows and matrices; outputs are DOM.
import * as Plot from "@observablehq/plot";
import { RelationMatrix } from "./relation-matrix.js";

export interface RateRow {
  au: string;
  group: string;
  rate: number;
  positives?: number;
  frames?: number;
}

const GROUP_COLORS: Record<string, string> = {
  all: "#4269d0",
  "fold 1": "#97bbf5",
  "fold 2": "#efb118",
  "fold 3": "#3ca951",
};

/**
 * Base rate per AU: bars for all frames, dots for each fold and, when given,
 * a tick at the target rate the generator is calibrated to.
 */
export function BaseRatePlot(rows: RateRow[], targets: { au: string; rate: number }[], { width = 640, height = 260 } = {}): Element {
  const all = rows.filter((r) => r.group === "all");
  const folds = rows.filter((r) => r.group !== "all");
  const order = all.map((r) => r.au);
  return Plot.plot({
    width,
    height,
    marginLeft: 44,
    x: { domain: order, label: null, padding: 0.25 },
    y: { domain: [0, 1], grid: true, label: "frames with the AU", tickFormat: "%" },
    color: { domain: Object.keys(GROUP_COLORS), range: Object.values(GROUP_COLORS), legend: true },
    marks: [
      Plot.barY(all, {
        x: "au",
        y: "rate",
        fill: "group",
        fillOpacity: 0.85,
        tip: { format: { fill: false } },
        title: (d: RateRow) => `${d.au}: ${(d.rate * 100).toFixed(1)}%${d.positives !== undefined ? ` (${d.positives} of ${d.frames} frames)` : ""}`,
      }),
      Plot.dot(folds, { x: "au", y: "rate", fill: "group", r: 3.5, stroke: "white", strokeWidth: 0.8, dx: 0 }),
      Plot.tickY(targets, { x: "au", y: "rate", stroke: "#d62728", strokeWidth: 2, strokeDasharray: "3,2" }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * Co-occurrence heatmap: cell (row i, column j) is P(AU j | AU i). `matrix` is
 * [A][A] with null/NaN where AU i never occurs.
 */
export function CooccurrenceHeatmap(aus: number[], matrix: (number | null)[][], { width = 520 } = {}): Element {
  return RelationMatrix(aus, matrix, {
    width,
    label: "P(AU j occurs | AU i occurs)",
    axes: { x: "then AU j →", y: "given AU i ↓" },
    legendFormat: "%",
    cellSize: 46,
    title: (i, j, p) => (p === null ? `AU${aus[i]} never occurs` : `P(AU${aus[j]} | AU${aus[i]}) = ${(p * 100).toFixed(1)}%`),
  });
}

/**
 * Intensity histograms: frames per FACS level 0..5 for each AU, one small
 * panel per AU; level 0 is drawn faint so the coded levels stay readable.
 */
export function IntensityHistograms(aus: number[], histogram: number[][], { width = 640, threshold = 1 }: { width?: number; threshold?: number } = {}): Element {
  const rows = aus.flatMap((au, a) =>
    histogram[a].map((count, level) => ({ au: `AU${au}`, level: level === 0 ? "0" : "ABCDE"[level - 1], count, occurs: level >= threshold })),
  );
  const cols = Math.min(aus.length, width < 560 ? 4 : 6);
  const fx = (d: { au: string }) => aus.indexOf(Number(d.au.slice(2))) % cols;
  const fy = (d: { au: string }) => Math.floor(aus.indexOf(Number(d.au.slice(2))) / cols);
  return Plot.plot({
    width,
    height: 110 * Math.ceil(aus.length / cols) + 30,
    marginLeft: 40,
    fx: { axis: null },
    fy: { axis: null },
    x: { domain: ["0", "A", "B", "C", "D", "E"], label: null, padding: 0.15 },
    y: { type: "sqrt", grid: true, label: "frames", ticks: 3 },
    color: { domain: [false, true], range: ["#c6c6c6", "#4269d0"] },
    marks: [
      Plot.barY(rows, { fx, fy, x: "level", y: "count", fill: "occurs", tip: true }),
      Plot.text(rows.filter((r) => r.level === "0"), { fx, fy, text: "au", frameAnchor: "top-right", dx: -4, dy: 4, fontWeight: "bold" }),
      Plot.frame({ stroke: "#ddd" }),
    ],
  });
}
