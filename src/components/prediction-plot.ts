// What detectors predict for one face, AU by AU: each detector's probability against the
// 0.5 threshold with the label as a band (plot), and the same as a table.
import * as Plot from "@observablehq/plot";
import { el } from "./element.js";

export interface PredictionSeries {
  name: string;
  color: string;
  /** Probability per AU (cosine similarity, 0.5 threshold). */
  probs: ArrayLike<number>;
}

/** Per AU: each series' probability as a dot, the 0.5 threshold, and the label as a band. */
export function PredictionPlot(aus: number[], labels: ArrayLike<number>, series: PredictionSeries[], { width = 640 }: { width?: number } = {}): Element {
  const names = aus.map((a) => `AU${a}`);
  const dots = series.flatMap((s) => aus.map((_, i) => ({ au: names[i], series: s.name, p: s.probs[i], hit: s.probs[i] >= 0.5 === labels[i] > 0 })));
  const active = aus.map((_, i) => ({ au: names[i], on: labels[i] > 0 }));
  const lo = Math.min(0, ...dots.map((d) => d.p));
  const tip = (d: { au: string; series: string; p: number; hit: boolean }) => `${d.au} ${d.series}: ${d.p.toFixed(3)} (${d.hit ? "right" : "wrong"})`;
  return Plot.plot({
    width,
    height: 34 + aus.length * 24,
    marginLeft: 56,
    marginRight: 20,
    x: { domain: [lo, 1], label: "probability →", grid: true },
    y: { domain: names, label: null },
    color: { domain: series.map((s) => s.name), range: series.map((s) => s.color), legend: true },
    marks: [
      Plot.barX(active.filter((a) => a.on), { y: "au", x1: 0.5, x2: 1, fill: "#3ca951", fillOpacity: 0.14 }),
      Plot.barX(active.filter((a) => !a.on), { y: "au", x1: lo, x2: 0.5, fill: "#888", fillOpacity: 0.08 }),
      Plot.ruleX([0.5], { stroke: "#444", strokeDasharray: "4,3" }),
      Plot.text(active, { y: "au", x: 1, text: (a: { on: boolean }) => (a.on ? "on" : "off"), textAnchor: "start", dx: 4, fill: (a: { on: boolean }) => (a.on ? "#2a7a39" : "#888"), fontSize: 10 }),
      Plot.dot(dots.filter((d) => d.hit), { y: "au", x: "p", fill: "series", r: 5, stroke: "white", title: tip }),
      Plot.dot(dots.filter((d) => !d.hit), { y: "au", x: "p", stroke: "series", r: 5, strokeWidth: 2.5, symbol: "times", title: tip }),
    ],
  });
}

/** The same as a table: label, then each series' probability (bold when on the right side of 0.5). */
export function PredictionTable(aus: number[], labels: ArrayLike<number>, series: PredictionSeries[]): HTMLElement {
  const table = el("table", { className: "maskau-pred-table" });
  table.append(el("thead", {}, el("tr", {}, el("th", { textContent: "AU" }), el("th", { textContent: "label" }), ...series.map((s) => el("th", { textContent: s.name })))));
  const body = el("tbody");
  aus.forEach((a, i) => {
    const tr = el("tr", {}, el("td", { textContent: `AU${a}` }), el("td", { textContent: labels[i] > 0 ? "on" : "off", className: labels[i] > 0 ? "maskau-on" : "" }));
    for (const s of series) {
      const p = s.probs[i];
      const right = p >= 0.5 === labels[i] > 0;
      tr.append(el("td", { textContent: p.toFixed(2), className: right ? "maskau-right" : "maskau-wrong" }));
    }
    body.append(tr);
  });
  const foot = el("tr", {}, el("td", { textContent: "correct" }), el("td"));
  for (const s of series) {
    const n = aus.filter((_, i) => s.probs[i] >= 0.5 === labels[i] > 0).length;
    foot.append(el("td", { textContent: `${n} / ${aus.length}` }));
  }
  table.append(body, el("tfoot", {}, foot));
  return table;
}
