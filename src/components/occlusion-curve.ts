// Mean F1 against the share of the face removed (the paper's Fig. 3), one line per model,
// with the value the paper's text gives as a marked point. Plain data in (a Fig3File), DOM out.
import * as Plot from "@observablehq/plot";
import { fig3Series, removedPercent, type Fig3File } from "../lib/eval/fig3.js";
import { el } from "./element.js";

/** Colours of (b)-(e), as the Table 2 figure colours (b)-(d). */
export const CURVE_COLORS: Record<string, string> = { "(b)": "#d62728", "(c)": "#efb118", "(d)": "#3ca951", "(e)": "#9c6b4e" };

/** The legend of each condition, as the paper's Fig. 3 and Table 2 name them. */
export const CURVE_LABELS: Record<string, string> = {
  "(b)": "(b) clean detector, occluded",
  "(c)": "(c) clean detector, composites",
  "(d)": "(d) teacher, composites",
  "(e)": "(e) student, occluded",
};

export function OcclusionCurve(file: Fig3File, { width = 640, height = 300 }: { width?: number; height?: number } = {}): HTMLElement {
  const rows = fig3Series(file).map((r) => ({ ...r, label: CURVE_LABELS[r.condition] ?? `${r.condition} ${r.model}` }));
  const labels = [...new Set(rows.map((r) => r.label))];
  const colors = labels.map((l) => CURVE_COLORS[rows.find((r) => r.label === l)!.condition] ?? "#888");
  const paper = Object.entries(file.paper?.student ?? {}).map(([occ, f1]) => ({ removed: removedPercent(occ), f1 }));
  const kind = file.occlusions.every((o) => o.startsWith("random")) ? "random patches" : "area";
  const chart = Plot.plot({
    width,
    height,
    marginLeft: 44,
    x: { label: `removed (% of the face, ${kind})`, ticks: file.occlusions.map(removedPercent).filter((v): v is number => v !== null) },
    y: { label: "mean F1 (%)", grid: true },
    color: { domain: labels, range: colors, legend: true },
    marks: [
      Plot.line(rows, { x: "removed", y: "meanF1", stroke: "label", strokeWidth: 2 }),
      Plot.dot(rows, { x: "removed", y: "meanF1", fill: "label", r: 3, title: (d) => `${d.label}\n${d.occlusion}: ${d.meanF1.toFixed(1)}` }),
      Plot.dot(paper, { x: "removed", y: "f1", stroke: CURVE_COLORS["(e)"], r: 5, strokeWidth: 1.5, symbol: "diamond" }),
      // Anchored at its end so that the label stays inside the plot at the right edge (70%).
      Plot.text(paper, { x: "removed", y: "f1", text: () => "paper's student", dy: -10, fontSize: 10, textAnchor: "end" }),
    ],
  });
  return el(
    "figure",
    { className: "maskau-occlusion-curve" },
    chart,
    el("figcaption", { className: "muted", textContent: `Test fold ${file.fold}, the same faces and masks for every model; fill ${typeof file.fill === "string" ? file.fill : JSON.stringify(file.fill)}. Rebuild: ${file.command}. Diamond: the one value the paper's text gives (its student at 70%).` }),
  );
}
