// The protocol's results as figures: Fig. 3 over folds and seeds (mean F1 against the share
// removed, each model's subject-bootstrap 95% interval as a band) and the paper's claims as
// a forest of paired intervals against zero. Plain data in (curves.ts, aggregate.ts), DOM out.
import * as Plot from "@observablehq/plot";
import type { ClaimSummary } from "../lib/protocol/aggregate.js";
import { pairsPhrase } from "../lib/protocol/aggregate.js";
import type { ProtocolCurves } from "../lib/protocol/curves.js";
import { PAPER_FIG3, removedPercent } from "../lib/eval/fig3.js";
import { CURVE_COLORS, CURVE_LABELS } from "./occlusion-curve.js";
import { el } from "./element.js";

const sorted = (xs: number[]) => [...new Set(xs)].sort((x, y) => x - y);

/** One curve of the protocol (e.g. "random", the paper's figure) with a band per model; `paperPoint`: the paper's one value beside it (its figure is on BP4D). */
export function ProtocolCurve(curves: ProtocolCurves, name: string, { width = 640, height = 300, paperPoint = false }: { width?: number; height?: number; paperPoint?: boolean } = {}): HTMLElement {
  const spec = curves.curves.find((c) => c.name === name);
  if (!spec) return el("p", { className: "muted maskau-chart-empty", textContent: `The ledger has no ${name} curve yet.` });
  const rows = curves.points
    .filter((p) => p.curve === name)
    .map((p) => ({ label: CURVE_LABELS[p.condition] ?? p.condition, condition: p.condition, removed: p.removed, mean: 100 * p.mean, lo: 100 * p.interval.lo, hi: 100 * p.interval.hi, runs: p.runs, occlusion: p.occlusion }));
  const labels = [...new Set(rows.map((r) => r.label))];
  const colors = labels.map((l) => CURVE_COLORS[rows.find((r) => r.label === l)!.condition] ?? "#888");
  const paper = paperPoint && name === "random" ? Object.entries(PAPER_FIG3.student).map(([occ, f1]) => ({ removed: removedPercent(occ), f1 })) : [];
  const chart = Plot.plot({
    width,
    height,
    marginLeft: 44,
    x: { label: `removed (% of the face, ${name === "random" ? "random patches" : name})`, ticks: sorted(rows.map((r) => r.removed)), inset: 8 },
    y: { label: "mean F1 (%)", grid: true },
    color: { domain: labels, range: colors, legend: true },
    marks: [
      Plot.areaY(rows, { x: "removed", y1: "lo", y2: "hi", fill: "label", fillOpacity: 0.15 }),
      Plot.line(rows, { x: "removed", y: "mean", stroke: "label", strokeWidth: 2 }),
      Plot.dot(rows, { x: "removed", y: "mean", fill: "label", r: 3, title: (d) => `${d.label}\n${d.occlusion}: ${d.mean.toFixed(1)} [${d.lo.toFixed(1)}, ${d.hi.toFixed(1)}] over ${d.runs} runs` }),
      Plot.dot(paper, { x: "removed", y: "f1", stroke: CURVE_COLORS["(e)"], r: 5, strokeWidth: 1.5, symbol: "diamond" }),
      Plot.text(paper, { x: "removed", y: "f1", text: () => "paper's student", dy: -10, fontSize: 10, textAnchor: "end" }),
    ],
  });
  const figure = el(
    "figure",
    { className: "maskau-protocol-curve" },
    chart,
    el("figcaption", {
      className: "muted",
      textContent: `Mean over ${pairsPhrase(curves.pairs)}; bands: subject-bootstrap 95% intervals (${curves.resamples} resamples of each fold's test subjects). Teacher and student trained at ${spec.trainedOn}; every model sees the same faces and masks.${paper.length ? " Diamond: the one value the paper's text gives." : ""}`,
    }),
  );
  Object.assign(figure.dataset, { curve: name, points: String(rows.length), runs: String(curves.pairs.length) });
  return figure;
}

const VERDICT_COLORS = { holds: "#3ca951", reversed: "#d62728", open: "#888" } as const;

function verdictOf(c: ClaimSummary): keyof typeof VERDICT_COLORS {
  if (c.equivalence) return c.equivalence.verdict === "equivalent" ? "holds" : c.equivalence.verdict === "not equivalent" ? "reversed" : "open";
  return c.interval.lo > 0 ? "holds" : c.interval.hi < 0 ? "reversed" : "open";
}

/** The claims as a forest plot: each difference with its paired 95% interval, zero marked, and the equivalence margin around the student-teacher difference. */
export function ClaimsForest(claims: ClaimSummary[], pairs: { fold: number; seed: number }[], { width = 640 }: { width?: number } = {}): HTMLElement {
  // A claim of fewer runs than the others (the ablations, run on fold 1) says how many.
  const rows = claims.map((c) => ({
    label: `${c.a} − ${c.b} · ${c.occlusion}${c.runs < pairs.length ? ` · ${c.runs} run${c.runs === 1 ? "" : "s"}` : ""}`,
    claim: c.claim,
    estimate: 100 * c.interval.estimate,
    lo: 100 * c.interval.lo,
    hi: 100 * c.interval.hi,
    verdict: verdictOf(c),
    margin: c.equivalence ? 100 * c.equivalence.margin : null,
  }));
  const margins = rows.filter((r) => r.margin !== null);
  // Each run's own difference, as a tick on its claim's row: how consistent the runs are.
  const runs = claims.flatMap((c, i) => c.perRun.map((p) => ({ label: rows[i].label, estimate: 100 * p.estimate, run: `fold ${p.fold}, seed ${p.seed}` })));
  const chart = Plot.plot({
    width,
    height: 40 + rows.length * 22,
    // Room for the longest label at the axis' 10 px font (about 6 px a character).
    marginLeft: Math.max(150, 6 * Math.max(...rows.map((r) => r.label.length))),
    x: { label: "difference of mean F1 (points)", grid: true },
    y: { label: null, domain: rows.map((r) => r.label) },
    color: { domain: ["holds", "reversed", "open"], range: [VERDICT_COLORS.holds, VERDICT_COLORS.reversed, VERDICT_COLORS.open], legend: true, tickFormat: (v: string) => (v === "holds" ? "holds (interval above 0, or equivalent)" : v === "reversed" ? "reversed (below 0, or not equivalent)" : "not shown") },
    marks: [
      Plot.barX(margins, { y: "label", x1: (d) => -d.margin!, x2: (d) => d.margin!, fill: "#ccc", fillOpacity: 0.5 }),
      Plot.ruleX([0], { stroke: "#444" }),
      Plot.tickX(runs, { y: "label", x: "estimate", stroke: "#777", strokeOpacity: 0.8, title: (d) => `${d.run}: ${d.estimate >= 0 ? "+" : ""}${d.estimate.toFixed(1)}` }),
      Plot.ruleY(rows, { y: "label", x1: "lo", x2: "hi", stroke: "verdict", strokeWidth: 2 }),
      Plot.dot(rows, { y: "label", x: "estimate", fill: "verdict", r: 4, title: (d) => `${d.claim}\n${d.estimate >= 0 ? "+" : ""}${d.estimate.toFixed(1)} [${d.lo.toFixed(1)}, ${d.hi.toFixed(1)}]` }),
    ],
  });
  const figure = el(
    "figure",
    { className: "maskau-claims-forest" },
    chart,
    el("figcaption", {
      className: "muted",
      textContent: `Each claim as a difference of mean F1 over ${pairsPhrase(pairs)} with its paired subject-bootstrap 95% interval; gray ticks: each run's own difference; gray band: the equivalence margin of student against teacher, fixed before running.`,
    }),
  );
  Object.assign(figure.dataset, { claims: String(rows.length), holds: String(rows.filter((r) => r.verdict === "holds").length), runTicks: String(runs.length) });
  return figure;
}
