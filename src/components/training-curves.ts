// A detector run's curves side by side: the training loss per step (a LossChart) and the
// held-out mean F1 at each evaluation, with a reference line (e.g. the shipped detector).
import * as Plot from "@observablehq/plot";
import { el } from "./element.js";
import { LossChart, type LossPoint } from "./loss-chart.js";

export interface F1Point {
  step: number;
  meanF1: number;
}

export interface F1CurveOptions {
  width?: number;
  height?: number;
  totalSteps?: number;
  /** A horizontal line at a mean F1 (0..1), labelled. */
  reference?: { label: string; meanF1: number };
}

/** Held-out mean F1 (%) at each evaluation. */
export function F1Curve(evals: F1Point[], { width = 640, height = 220, totalSteps = 1, reference }: F1CurveOptions = {}): Element {
  const rows = evals.map((e) => ({ step: e.step, f1: 100 * e.meanF1 }));
  if (!rows.length) return el("p", { className: "muted maskau-chart-empty", textContent: "The held-out F1 appears here at step 0 and every few steps." });
  const maxStep = Math.max(totalSteps, ...rows.map((r) => r.step), 1);
  return Plot.plot({
    width,
    height,
    marginLeft: 48,
    x: { label: "step", domain: [0, maxStep], grid: true },
    y: { label: "held-out mean F1 (%)", domain: [0, Math.max(70, ...rows.map((r) => r.f1 + 5), reference ? 100 * reference.meanF1 + 5 : 0)], grid: true },
    marks: [
      reference ? Plot.ruleY([100 * reference.meanF1], { stroke: "#888", strokeDasharray: "4,3" }) : null,
      reference ? Plot.text([reference], { x: maxStep, y: 100 * reference.meanF1, text: () => reference.label, textAnchor: "end", dy: -7, fill: "#666" }) : null,
      Plot.line(rows, { x: "step", y: "f1", stroke: "#3ca951", strokeWidth: 2 }),
      Plot.dot(rows, { x: "step", y: "f1", fill: "#3ca951", r: 3.5, stroke: "white" }),
      Plot.tip(rows, Plot.pointerX({ x: "step", y: "f1", title: (p: { step: number; f1: number }) => `step ${p.step}\nmean F1 ${p.f1.toFixed(1)}%` })),
      Plot.ruleY([0]),
    ],
  }) as Element;
}

/** The loss (left) and the held-out F1 (right); data-points and data-evals count what is drawn. */
export function TrainingCurves(history: LossPoint[], evals: F1Point[], options: F1CurveOptions = {}): HTMLElement {
  const { width = 640, height = 220, totalSteps = 1 } = options;
  const half = Math.max(260, Math.floor((width - 24) / 2));
  const root = el("div", { className: "maskau-train-curves" });
  root.dataset.points = String(history.length);
  root.dataset.evals = String(evals.length);
  root.append(
    LossChart([{ name: "this run", points: history, color: "#4269d0" }], { width: half, height, totalSteps, lossLabel: "training loss (WAL)", empty: "The loss appears here once training starts." }),
    el("figure", {}, F1Curve(evals, { ...options, width: half })),
  );
  return root;
}
