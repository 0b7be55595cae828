// How distillation proceeds, live, from a student session's snapshot: each term of the
// loss as it enters the total (L_AU, λ·L_E, α·L_kd^AU, α·β·L_kd^edge) over the steps, the
// held-out F1 of the teacher (on composites; frozen, so flat) and of the student (on the
// occluded faces), the teacher-student KL of each AU at each comparison as a heatmap, and
// the gradient norm of the student's encoder, alignment and head. Plain data in, DOM out.
import * as Plot from "@observablehq/plot";
import type { LossPoint } from "../lib/runs/session.js";
import type { KdEvalPoint } from "../lib/train/student-browser.js";
import { el } from "./element.js";
import { movingAverage } from "./loss-chart.js";

/** The loss's weights, to show each term as it enters the total. */
export interface KdWeights {
  alpha: number;
  beta: number;
  lambda: number;
}

export interface KdChartOptions {
  width?: number;
  height?: number;
  /** Fixes the x extent (the run's length), so the curves grow into it. */
  totalSteps?: number;
}

const TERMS = [
  { key: "lossAU", name: "L_AU", color: "#4269d0", weight: () => 1 },
  { key: "lossEdge", name: "λ·L_E", color: "#efb118", weight: (w: KdWeights) => w.lambda },
  { key: "kdNode", name: "α·L_kd (node)", color: "#3ca951", weight: (w: KdWeights) => w.alpha },
  { key: "kdEdge", name: "α·β·L_kd (edge)", color: "#ff725c", weight: (w: KdWeights) => w.alpha * w.beta },
] as const;

const MODULES = [
  { key: "encoder", name: "encoder (backbone.*)", color: "#6cc5b0" },
  { key: "alignment", name: "alignment (align.*)", color: "#a463f2" },
  { key: "head", name: "head (global_linear.*, head.*)", color: "#ff8ab7" },
] as const;

/** Steps from 0 to `last`, whole numbers on the ticks. */
const stepAxis = (last: number) => ({ label: "step", domain: [0, last], grid: true, ticks: Math.min(8, last) });

const empty = (text: string) => el("p", { className: "muted maskau-chart-empty", textContent: text });

/** Each loss term per step (faint dots) with a moving average (lines). */
export function LossTermsChart(history: LossPoint[], weights: KdWeights, { width = 640, height = 240, totalSteps = 1 }: KdChartOptions = {}): Element {
  const withTerms = history.filter((p) => p.metrics);
  if (!withTerms.length) return empty("The loss terms appear here once distillation starts.");
  const k = Math.max(1, Math.round(withTerms.length / 40));
  const rows = TERMS.flatMap((t) => withTerms.map((p) => ({ step: p.step, value: t.weight(weights) * (p.metrics![t.key] ?? NaN), term: t.name })));
  const smooth = TERMS.flatMap((t) =>
    movingAverage(withTerms.map((p) => ({ step: p.step, loss: t.weight(weights) * (p.metrics![t.key] ?? NaN) })), k).map((p) => ({ step: p.step, value: p.loss, term: t.name })),
  );
  return Plot.plot({
    width,
    height,
    marginLeft: 48,
    x: stepAxis(Math.max(totalSteps, ...withTerms.map((p) => p.step))),
    y: { label: "loss term (as weighted in L)", grid: true, zero: true },
    color: { domain: TERMS.map((t) => t.name), range: TERMS.map((t) => t.color), legend: true },
    marks: [
      Plot.dot(rows, { x: "step", y: "value", fill: "term", r: rows.length > 1600 ? 1 : 1.8, fillOpacity: 0.25 }),
      Plot.line(smooth, { x: "step", y: "value", stroke: "term", z: "term", strokeWidth: 2 }),
      Plot.tip(smooth, Plot.pointerX({ x: "step", y: "value", title: (p: { step: number; value: number; term: string }) => `${p.term}\nstep ${p.step}\n${p.value.toFixed(4)} (mean of ${k})` })),
      Plot.ruleY([0]),
    ],
  });
}

/** Held-out mean F1 (%) of the teacher (composites) and the student (occluded faces) at each comparison. */
export function KdF1Chart(evals: KdEvalPoint[], { width = 640, height = 240, totalSteps = 1 }: KdChartOptions = {}): Element {
  if (!evals.length) return empty("Held-out F1 appears here at step 0 and every few steps.");
  const rows = evals.flatMap((e) => [
    { step: e.step, f1: 100 * e.teacherMeanF1, who: "teacher (composite)" },
    { step: e.step, f1: 100 * e.studentMeanF1, who: "student (occluded)" },
  ]);
  return Plot.plot({
    width,
    height,
    marginLeft: 48,
    x: stepAxis(Math.max(totalSteps, ...evals.map((e) => e.step))),
    y: { label: "held-out mean F1 (%)", domain: [0, Math.max(70, ...rows.map((r) => r.f1 + 5))], grid: true },
    color: { domain: ["teacher (composite)", "student (occluded)"], range: ["#3ca951", "#4269d0"], legend: true },
    marks: [
      Plot.line(rows, { x: "step", y: "f1", stroke: "who", z: "who", strokeWidth: 2 }),
      Plot.dot(rows, { x: "step", y: "f1", fill: "who", r: 3, stroke: "white", tip: true, title: (r: { who: string; step: number; f1: number }) => `${r.who}\nstep ${r.step}\nmean F1 ${r.f1.toFixed(1)}%` }),
      Plot.ruleY([0]),
    ],
  });
}

/** Per-AU KL(teacher || student) on the held-out faces: a row per AU, a column per comparison. */
export function KlHeatmap(evals: KdEvalPoint[], aus: number[], { width = 640 }: KdChartOptions = {}): Element {
  if (!evals.length || !aus.length) return empty("The per-AU KL appears here at each comparison.");
  const steps = evals.map((e) => String(e.step));
  const cells = evals.flatMap((e) => e.klPerAu.map((kl, i) => ({ step: String(e.step), au: `AU${aus[i]}`, kl })));
  const every = Math.max(1, Math.ceil(steps.length / Math.max(4, Math.floor((width - 90) / 36))));
  return Plot.plot({
    width,
    height: 46 + aus.length * 18,
    marginLeft: 52,
    marginBottom: 34,
    padding: 0.04,
    x: { domain: steps, label: "step", ticks: steps.filter((_, i) => i % every === 0 || i === steps.length - 1), tickSize: 0 },
    y: { domain: aus.map((a) => `AU${a}`), label: null, tickSize: 0 },
    color: { type: "sqrt", scheme: "orrd", domain: [0, Math.max(0.05, ...cells.map((c) => c.kl))], legend: true, label: "KL(teacher ‖ student) per AU" },
    marks: [Plot.cell(cells, { x: "step", y: "au", fill: "kl", inset: 0.5, title: (c: { au: string; step: string; kl: number }) => `${c.au}, step ${c.step}: KL ${c.kl.toFixed(4)}` })],
  });
}

/** Gradient norm of each module per step (log scale: the encoder's can be orders of magnitude apart from the head's). */
export function GradNormChart(history: LossPoint[], { width = 640, height = 240, totalSteps = 1 }: KdChartOptions = {}): Element {
  const points = history.filter((p) => p.gradNorms);
  if (!points.length) return empty("Gradient norms per module appear here once distillation starts.");
  const present = MODULES.filter((m) => points.some((p) => p.gradNorms![m.key] !== undefined));
  const rows = present.flatMap((m) => points.filter((p) => p.gradNorms![m.key] > 0).map((p) => ({ step: p.step, norm: p.gradNorms![m.key], module: m.name })));
  return Plot.plot({
    width,
    height,
    marginLeft: 52,
    x: stepAxis(Math.max(totalSteps, ...points.map((p) => p.step))),
    y: { type: "log", label: "gradient L2 norm", grid: true },
    color: { domain: present.map((m) => m.name), range: present.map((m) => m.color), legend: true },
    marks: [
      Plot.line(rows, { x: "step", y: "norm", stroke: "module", z: "module", strokeWidth: 1.5 }),
      Plot.tip(rows, Plot.pointer({ x: "step", y: "norm", title: (r: { module: string; step: number; norm: number }) => `${r.module}\nstep ${r.step}\nnorm ${r.norm.toPrecision(3)}` })),
    ],
  });
}

/**
 * The four views in a 2 x 2 grid (one column when narrow). The root (class
 * maskau-kd-dynamics) carries data-points (steps with loss terms) and data-evals
 * (comparisons with the teacher) for tests.
 */
export function KdDynamics(
  s: { history: LossPoint[]; evals: KdEvalPoint[]; aus: number[]; totalSteps: number },
  weights: KdWeights,
  { width = 900, frozenEncoder = false }: { width?: number; frozenEncoder?: boolean } = {},
): HTMLElement {
  const two = width >= 760;
  const w = two ? Math.floor((width - 32) / 2) : width;
  const opts = { width: w, totalSteps: Math.max(1, s.totalSteps) };
  const figure = (title: string, chart: Element, note?: string) =>
    el("figure", {}, el("figcaption", { className: "maskau-kd-title", textContent: title }), chart, ...(note ? [el("p", { className: "muted maskau-kd-note", textContent: note })] : []));
  const root = el(
    "div",
    { className: two ? "maskau-kd-dynamics" : "maskau-kd-dynamics maskau-stacked" },
    figure("Loss terms", LossTermsChart(s.history, weights, opts)),
    figure("Held-out F1", KdF1Chart(s.evals, opts)),
    figure("Teacher-student KL per AU (held-out faces)", KlHeatmap(s.evals, s.aus, opts)),
    figure("Gradient norm per module", GradNormChart(s.history, opts), frozenEncoder ? "The encoder is frozen: it has no gradient." : undefined),
  );
  root.dataset.points = String(s.history.filter((p) => p.metrics).length);
  root.dataset.evals = String(s.evals.length);
  return root;
}
