// Per-AU F1 of the four conditions of the paper's Table 2 for one occlusion: a table (a
// row per AU, a column per condition, the mean F1 with the paper's under it), grouped
// bars, and both with notes. Plain data in (a Table2Group), DOM out.
import * as Plot from "@observablehq/plot";
import { CONDITION_NAMES, CONDITIONS, compareWithPaper, type Condition, type Table2File, type Table2Group } from "../lib/eval/table2.js";
import { el } from "./element.js";

/** Colours of the four conditions (a)-(d). */
export const CONDITION_COLORS: Record<Condition, string> = { "(a)": "#4269d0", "(b)": "#d62728", "(c)": "#efb118", "(d)": "#3ca951" };

const pct = (x: number) => (100 * x).toFixed(1);

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

/** Bars over the table and what it shows, for one occlusion of a `maskau reproduce table2` result. */
export function Table2Figure(group: Table2Group, table: Table2File, { width = 900 }: { width?: number } = {}): HTMLElement {
  const d = table.dataset as { name?: string } | string | null | undefined;
  const dataset = (typeof d === "object" ? d?.name : d) ?? "the dataset";
  const notes = el(
    "div",
    { className: "maskau-table2-notes" },
    el("p", { className: "maskau-compare", textContent: compareWithPaper(group) }),
    el(
      "p",
      { className: "muted" },
      "From ",
      el("code", { textContent: "maskau reproduce table2" }),
      `: test fold ${table.fold ?? "?"} of ${dataset}, ${table.aus.length} AUs, the tiny presets. Each column is one detector and input; hover a header for what it was trained on. Black ticks on the mean bars mark the paper's figures.`,
    ),
  );
  return el("div", {}, F1Bars(group, table.aus, { width, height: 300 }), el("div", { className: "maskau-table2" }, F1Table(group, table.aus), notes));
}
