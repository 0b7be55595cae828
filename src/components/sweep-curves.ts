// Mean F1 against the occlusion for every model of a sweep (the share of the face removed
// for random patches and blocks, the region for region sweeps), precomputed or computed in
// the page; and per model a heatmap of each AU's F1 at each occlusion, side by side.
// Plain data in (a SweepView), DOM out.
import * as Plot from "@observablehq/plot";
import { curveRows, heatmapCells, type SweepView } from "../lib/eval/sweep-view.js";
import { el } from "./element.js";
import { CURVE_COLORS, CURVE_LABELS } from "./occlusion-curve.js";

const labelOf = (condition: string, model: string) => CURVE_LABELS[condition] ?? `${condition} ${model}`;

function caption(view: SweepView): string {
  const fill = typeof view.fill === "string" ? view.fill : JSON.stringify(view.fill);
  const faces = view.faces === null ? "" : `${view.faces} held-out faces per occlusion, `;
  return `${faces}fill ${fill}; the same faces and masks for every model. ${view.caption}`;
}

/** One line per model (its dots carry "<label>\n<occlusion>: <F1>"). */
export function SweepCurves(view: SweepView, { width = 640, height = 300 }: { width?: number; height?: number } = {}): HTMLElement {
  const rows = curveRows(view).map((r) => ({ ...r, label: labelOf(r.condition, r.model) }));
  const labels = [...new Set(rows.map((r) => r.label))];
  const colors = labels.map((l) => CURVE_COLORS[rows.find((r) => r.label === l)!.condition] ?? "#888");
  const numeric = rows.every((r) => typeof r.x === "number");
  const xs = [...new Set(rows.map((r) => r.x))];
  const chart = Plot.plot({
    width,
    height,
    marginLeft: 44,
    marginBottom: numeric ? 36 : 44,
    x: numeric ? { label: "removed (% of the face)", ticks: xs as number[] } : { type: "point", domain: xs, label: "occluded region", padding: 0.4 },
    y: { label: "mean F1 (%)", grid: true },
    color: { domain: labels, range: colors, legend: true },
    marks: [
      Plot.line(rows, { x: "x", y: "meanF1", stroke: "label", strokeWidth: 2 }),
      Plot.dot(rows, { x: "x", y: "meanF1", fill: "label", r: 3, title: (d) => `${d.label}\n${d.occlusion}: ${d.meanF1.toFixed(1)}` }),
    ],
  });
  const root = el("figure", { className: "maskau-sweep-curves" }, chart, el("figcaption", { className: "muted", textContent: caption(view) }));
  root.dataset.source = view.source;
  root.dataset.points = String(rows.length);
  return root;
}

/** Per model, a heatmap of each AU's F1 (%) at each occlusion (Plot cell marks), side by side. */
export function AuHeatmaps(view: SweepView, { width = 640 }: { width?: number } = {}): HTMLElement {
  const cells = heatmapCells(view);
  const models = [...new Set(cells.map((c) => labelOf(c.condition, c.model)))];
  const xs = [...new Set(cells.map((c) => c.x))];
  const aus = view.aus.map((a) => `AU${a}`);
  const columns = width >= 900 ? 2 : 1;
  const each = Math.floor((width - (columns - 1) * 16) / columns);
  const root = el("div", { className: "maskau-au-heatmaps" });
  root.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
  for (const model of models) {
    const mine = cells.filter((c) => labelOf(c.condition, c.model) === model);
    const chart = Plot.plot({
      width: each,
      height: 36 + aus.length * 20 + 40,
      marginLeft: 52,
      marginBottom: 40,
      x: { domain: xs, label: null, tickRotate: xs.length > 5 ? -30 : 0 },
      y: { domain: aus, label: null },
      color: { type: "linear", domain: [0, 100], scheme: "viridis", legend: model === models[0], label: "F1 (%)" },
      marks: [
        Plot.cell(mine, { x: "x", y: "au", fill: "f1", inset: 0.5, title: (d) => `${model}\n${d.au} at ${d.occlusion}: ${d.f1.toFixed(1)}` }),
        Plot.text(mine, { x: "x", y: "au", text: (d) => d.f1.toFixed(0), fill: (d) => (d.f1 > 60 ? "black" : "white"), fontSize: 9 }),
      ],
    });
    const figure = el("figure", { className: "maskau-au-heatmap" }, el("figcaption", { textContent: model }), chart);
    figure.dataset.model = model;
    root.append(figure);
  }
  return root;
}
