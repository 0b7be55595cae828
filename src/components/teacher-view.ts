// Views of the Teacher page: training controls, status and the live loss / held-out
// F1 curves; the per-AU F1 of the four Table-2 conditions (table and grouped bars);
// relation matrices (Plot cells); per-AU predictions of one face. Plain data in, DOM out.
import { RUN_STATUS_TEXT } from "./run-status.js";
import * as Plot from "@observablehq/plot";
import { CONDITION_NAMES, CONDITIONS, type Condition, type Table2Group } from "../lib/eval/table2.js";
import type { DetectorSessionSnapshot } from "./detector-session.js";

/** Colours of the four conditions (a)-(d). */
export const CONDITION_COLORS: Record<Condition, string> = { "(a)": "#4269d0", "(b)": "#d62728", "(c)": "#efb118", "(d)": "#3ca951" };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const pct = (x: number) => (100 * x).toFixed(1);

// ---------------------------------------------------------------- training

export type TrainingControlsElement = HTMLElement & { update(s: DetectorSessionSnapshot): void };

export function TrainingControls(handlers: { start(): void; pause(): void; resume(): void }): TrainingControlsElement {
  const root = el("div", { className: "maskau-run-controls" }) as unknown as TrainingControlsElement;
  const button = (name: "start" | "pause" | "resume", text: string, primary = false) => {
    const b = el("button", { type: "button", name, textContent: text, className: primary ? "maskau-primary" : "" });
    b.addEventListener("click", () => handlers[name]());
    root.append(b);
    return b;
  };
  const start = button("start", "Start", true);
  const pause = button("pause", "Pause");
  const resume = button("resume", "Resume", true);
  root.update = (s) => {
    const busy = s.status === "preparing" || s.status === "training" || s.status === "pausing";
    start.disabled = busy;
    start.textContent = s.settings ? "Start over" : "Start";
    pause.disabled = s.status !== "training";
    pause.hidden = s.status === "paused";
    resume.hidden = s.status !== "paused";
  };
  return root;
}

function stat(label: string, value: string): HTMLElement {
  return el("div", { className: "maskau-run-stat" }, el("b", { textContent: value }), el("span", { textContent: label }));
}

/** Step counter, progress, last loss, held-out F1, throughput and a message. */
export function TrainingStatus(s: DetectorSessionSnapshot): HTMLElement {
  const root = el("div", { className: `maskau-run-status maskau-run-${s.status}` });
  root.dataset.status = s.status;
  root.dataset.step = String(s.step);
  const last = s.history.at(-1);
  const f1 = s.evals.at(-1);
  const progress = el("progress", { max: Math.max(1, s.totalSteps), value: s.step });
  root.append(
    el("div", { className: "maskau-run-head" }, el("span", { className: "maskau-run-pill", textContent: RUN_STATUS_TEXT[s.status] }), progress),
    el(
      "div",
      { className: "maskau-run-stats" },
      stat("step", `${s.step} / ${s.totalSteps || "–"}`),
      stat("loss", last ? last.loss.toFixed(4) : "–"),
      stat(f1 ? `held-out mean F1 (step ${f1.step})` : "held-out mean F1", f1 ? `${pct(f1.meanF1)}%` : "–"),
      stat("images / s", s.imagesPerSecond ? s.imagesPerSecond.toFixed(0) : "–"),
    ),
    el("p", { className: s.error ? "maskau-warning" : "muted", textContent: s.message }),
  );
  return root;
}

/** The loss per step (left) and the held-out mean F1 at each evaluation (right). */
export function TrainingCurves(
  history: { step: number; loss: number }[],
  evals: { step: number; meanF1: number }[],
  { width = 640, height = 220, totalSteps = 1, reference }: { width?: number; height?: number; totalSteps?: number; reference?: { label: string; meanF1: number } } = {},
): HTMLElement {
  const root = el("div", { className: "maskau-train-curves" });
  root.dataset.points = String(history.length);
  root.dataset.evals = String(evals.length);
  const maxStep = Math.max(totalSteps, ...history.map((h) => h.step), 1);
  const half = Math.max(260, Math.floor((width - 24) / 2));
  const k = Math.max(1, Math.round(history.length / 30));
  const smooth = history.map((p, i) => {
    const win = history.slice(Math.max(0, i - k + 1), i + 1);
    return { step: p.step, loss: win.reduce((a, w) => a + w.loss, 0) / win.length };
  });
  const maxLoss = Math.max(0.05, ...history.map((h) => h.loss));
  const loss = history.length
    ? Plot.plot({
        width: half,
        height,
        marginLeft: 48,
        x: { label: "step", domain: [0, maxStep], grid: true },
        y: { label: "training loss (WAL)", domain: [0, maxLoss * 1.05], grid: true },
        marks: [
          Plot.dot(history, { x: "step", y: "loss", r: 1.8, fill: "#4269d0", fillOpacity: 0.3 }),
          Plot.line(smooth, { x: "step", y: "loss", stroke: "#4269d0", strokeWidth: 2 }),
          Plot.tip(history, Plot.pointerX({ x: "step", y: "loss", title: (p: { step: number; loss: number }) => `step ${p.step}\nloss ${p.loss.toFixed(4)}` })),
          Plot.ruleY([0]),
        ],
      })
    : el("p", { className: "muted maskau-curve-empty", textContent: "The loss appears here once training starts." });
  const rows = evals.map((e) => ({ step: e.step, f1: 100 * e.meanF1 }));
  const f1 = rows.length
    ? Plot.plot({
        width: half,
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
      })
    : el("p", { className: "muted maskau-curve-empty", textContent: "The held-out F1 appears here at step 0 and every few steps." });
  root.append(el("figure", {}, loss), el("figure", {}, f1));
  return root;
}

// ---------------------------------------------------------------- Table 2

/**
 * Per-AU F1 (%) of one occlusion group: a row per AU, a column per condition (a)-(d),
 * the mean F1 last (bold) with the paper's figure under it; the best of each row underlined.
 */
export function F1Table(group: Table2Group, aus: number[]): HTMLElement {
  const table = el("table", { className: "maskau-f1-table" });
  const head = el("tr", {}, el("th", { textContent: "AU" }));
  for (const r of group.rows) {
    const swatch = el("span", { className: "maskau-swatch" });
    swatch.style.background = CONDITION_COLORS[r.condition];
    const th = el("th", { title: `trained on ${r.train}; tested on ${r.test}` }, swatch, el("b", { textContent: r.condition }), el("br"), el("span", { className: "maskau-cond-name", textContent: CONDITION_NAMES[r.condition] }));
    th.dataset.condition = r.condition;
    head.append(th);
  }
  table.append(el("thead", {}, head));
  const body = el("tbody");
  const cell = (v: number, best: boolean) => {
    const td = el("td", { textContent: pct(v), className: best ? "maskau-best" : "" });
    td.style.setProperty("--f1", String(Math.max(0, Math.min(1, v))));
    return td;
  };
  aus.forEach((a, i) => {
    const best = Math.max(...group.rows.map((r) => r.f1[i]));
    body.append(el("tr", {}, el("th", { textContent: `AU${a}` }), ...group.rows.map((r) => cell(r.f1[i], best > 0 && r.f1[i] === best))));
  });
  const bestMean = Math.max(...group.rows.map((r) => r.meanF1));
  const mean = el("tr", { className: "maskau-mean" }, el("th", { textContent: "mean F1" }), ...group.rows.map((r) => cell(r.meanF1, r.meanF1 === bestMean)));
  const foot = el("tfoot", {}, mean);
  if (group.paper) {
    foot.append(el("tr", { className: "maskau-paper" }, el("th", { textContent: "paper (BP4D)" }), ...group.rows.map((r) => el("td", { textContent: group.paper![r.condition]?.toFixed(2) ?? "–" }))));
  }
  table.append(body, foot);
  return el("div", { className: "maskau-table-scroll" }, table);
}

/** Grouped bars: per AU the four conditions side by side, then the mean F1 (highlighted). */
export function F1Bars(group: Table2Group, aus: number[], { width = 900, height = 260 }: { width?: number; height?: number } = {}): Element {
  const columns = [...aus.map((a) => `AU${a}`), "mean"];
  const data = group.rows.flatMap((r) => [
    ...r.f1.map((v, i) => ({ column: `AU${aus[i]}`, condition: r.condition, f1: 100 * v, mean: false })),
    { column: "mean", condition: r.condition, f1: 100 * r.meanF1, mean: true },
  ]);
  const paper = group.paper ? CONDITIONS.map((c) => ({ column: "mean", condition: c, f1: group.paper![c] })).filter((d) => d.f1 !== null) : [];
  return Plot.plot({
    width,
    height,
    marginLeft: 44,
    marginBottom: 36,
    fx: { domain: columns, label: null, padding: 0.18, tickFormat: (c: string) => (c === "mean" ? "mean F1" : c) },
    x: { domain: [...CONDITIONS], axis: null, paddingInner: 0.08 },
    y: { label: "F1 (%)", domain: [0, 100], grid: true },
    color: { domain: [...CONDITIONS], range: CONDITIONS.map((c) => CONDITION_COLORS[c]), legend: true, tickFormat: (c: Condition) => `${c} ${CONDITION_NAMES[c]}` },
    marks: [
      Plot.barY([{ column: "mean" }], { fx: "column", y1: 0, y2: 100, fill: "#f3f1e8" }),
      Plot.barY(data, { fx: "column", x: "condition", y: "f1", fill: "condition", fillOpacity: (d: { mean: boolean }) => (d.mean ? 1 : 0.8), title: (d: { column: string; condition: Condition; f1: number }) => `${d.column} ${d.condition} ${CONDITION_NAMES[d.condition]}\nF1 ${d.f1.toFixed(1)}%` }),
      Plot.text(data.filter((d) => d.mean), { fx: "column", x: "condition", y: "f1", text: (d: { f1: number }) => d.f1.toFixed(0), dy: -6, fontSize: 9, fontWeight: "bold" }),
      Plot.tickY(paper, { fx: "column", x: "condition", y: "f1", stroke: "#222", strokeWidth: 2.5, title: (d: { condition: Condition; f1: number }) => `paper ${d.condition}: ${d.f1}` }),
      Plot.ruleY([0]),
    ],
  });
}

// ---------------------------------------------------------------- relation matrices

/** A [N][N] matrix as a Plot cell chart (row i, column j), values in `domain`. */
export function RelationMatrix(
  aus: number[],
  matrix: (number | null)[][],
  { width = 360, label, domain = [0, 1], scheme = "blues", format = (v: number) => Math.round(v * 100).toString(), title }: {
    width?: number;
    label: string;
    domain?: [number, number];
    scheme?: string;
    format?: (v: number) => string;
    title?: (i: number, j: number, v: number | null) => string;
  },
): Element {
  const names = aus.map(String);
  const cells = aus.flatMap((_, i) => aus.map((__, j) => {
    const v = matrix[i]?.[j];
    return { i, j, row: names[i], col: names[j], v: v === null || v === undefined || !Number.isFinite(v) ? null : v };
  }));
  const side = Math.max(240, Math.min(width, 60 + names.length * 34));
  const cell = (side - 56) / names.length;
  return Plot.plot({
    width: side,
    height: side - 4,
    marginLeft: 40,
    marginTop: 36,
    marginRight: 6,
    marginBottom: 6,
    padding: 0.04,
    x: { domain: names, axis: "top", label: "AU j →", labelAnchor: "right", tickSize: 0 },
    y: { domain: names, label: "AU i ↓", labelAnchor: "top", tickSize: 0 },
    color: { type: "linear", domain, scheme: scheme as Plot.ColorScheme, legend: true, label },
    marks: [
      Plot.cell(cells, { x: "col", y: "row", fill: "v", inset: 0.5, title: (d: { i: number; j: number; v: number | null }) => (title ? title(d.i, d.j, d.v) : `AU${aus[d.i]} → AU${aus[d.j]}: ${d.v === null ? "–" : format(d.v)}`) }),
      cell >= 20
        ? Plot.text(cells, {
            x: "col",
            y: "row",
            text: (d: { v: number | null }) => (d.v === null ? "–" : format(d.v)),
            fill: (d: { v: number | null }) => ((d.v ?? 0) > domain[0] + 0.55 * (domain[1] - domain[0]) ? "white" : "#333"),
            fontSize: cell >= 30 ? 9.5 : 8,
          })
        : null,
    ],
  });
}

// ---------------------------------------------------------------- predictions

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
