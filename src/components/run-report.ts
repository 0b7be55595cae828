// The parts of a run's report page and of the runs index, each from run records (plain
// data, checked by lib/records/check.ts) to a DOM node: the headline table, per-AU F1, the
// occlusion curve with its per-AU heatmap, the loss history, the feature map, the manifest,
// and the comparison of two runs. Every figure names the command that rebuilds it.
import * as Plot from "@observablehq/plot";
import type { RunRecord } from "../lib/records/record.js";
import { shortHash } from "../lib/records/record.js";
import { compareAuRows, evaluationRows, featureRows, headlineRow, historyRows, manifestDiff, manifestRows, perAuRows, sweepRows } from "../lib/records/tables.js";
import { el } from "./element.js";
import { LossChart } from "./loss-chart.js";
import { TableDownloads, type Row } from "./table-export.js";

const RUN_COLORS = ["#4269d0", "#ff725c"];
const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits));

/** "Rebuild: <command>" under a figure (class maskau-rebuild). */
export function Rebuild(command: string | null, what = "Rebuild"): HTMLElement {
  const p = el("p", { className: "maskau-rebuild muted" }, `${what}: `);
  if (command) p.append(el("code", { textContent: command }));
  else p.append("no command recorded (the checkpoint's metadata names none)");
  return p;
}

function tableOf(columns: string[], rows: (string | number | Node | null)[][], className: string): HTMLTableElement {
  const table = el("table", { className });
  table.append(el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { textContent: c })))));
  const body = el("tbody");
  for (const r of rows) body.append(el("tr", {}, ...r.map((v) => el("td", {}, v instanceof Node ? v : v === null ? "–" : String(v)))));
  table.append(body);
  return table;
}

/** Headline numbers of one or more runs (class maskau-headline). */
export function HeadlineTable(records: RunRecord[], { links = false }: { links?: boolean } = {}): HTMLElement {
  const rows = records.map((r) => {
    const h = headlineRow(r);
    const name: string | Node = links ? el("a", { href: `../runs/${r.id}`, textContent: r.id }) : r.id;
    return [name, h.kind, h.title, h.condition, h.fold, h.seed, h.steps, fmt(h.meanF1), fmt(h.meanAcc), fmt(h.loss, 4), el("code", { textContent: shortHash(h.sha256), title: h.sha256 })];
  });
  const table = tableOf(["run", "kind", "title", "input", "fold", "seed", "steps", "mean F1 (%)", "mean acc. (%)", "final loss", "sha256"], rows, "maskau-headline");
  return el("div", { className: "maskau-table-scroll" }, table);
}

/** Per-AU F1 as bars and a table, with downloads (class maskau-per-au). */
export function PerAuF1(r: RunRecord, { width = 640 }: { width?: number } = {}): HTMLElement {
  const rows = perAuRows(r);
  const figure = el("figure", { className: "maskau-per-au" });
  if (rows.length === 0) {
    figure.append(el("p", { className: "muted", textContent: "This run has no AU outputs (an MAE): its record holds the loss only." }));
    return figure;
  }
  figure.append(
    Plot.plot({
      width,
      height: 240,
      marginLeft: 44,
      x: { label: null, domain: rows.map((d) => d.au) },
      y: { label: `F1 (%), ${r.metrics.split} split`, domain: [0, 100], grid: true },
      marks: [
        Plot.barY(rows, { x: "au", y: "f1", fill: RUN_COLORS[0], title: (d) => `${d.au}: ${fmt(d.f1)}` }),
        Plot.ruleY(r.metrics.meanF1 === null ? [] : [100 * r.metrics.meanF1], { stroke: "currentColor", strokeDasharray: "4 3" }),
      ],
    }),
    el("figcaption", { className: "muted", textContent: `F1 per AU on the ${r.metrics.split === "test" ? `test fold ${r.fold ?? ""}` : r.metrics.split} split, as the run's evaluation counted it (official per-AU F1, threshold 0.5); dashes: mean ${fmt(r.metrics.meanF1 === null ? null : 100 * r.metrics.meanF1)}.` }),
    Rebuild(r.command, "Rebuild (training evaluates the test fold at its end)"),
    TableDownloads(`${r.id}-per-au-f1`, rows as Row[]),
  );
  return figure;
}

/** Mean F1 against the share of the face removed (one line per run) and, for one run, F1 per AU x occlusion (class maskau-sweep). */
export function SweepFigure(records: RunRecord[], { width = 640, heatmap = true }: { width?: number; heatmap?: boolean } = {}): HTMLElement {
  const figure = el("figure", { className: "maskau-sweep" });
  const withSweep = records.filter((r) => r.sweep);
  if (withSweep.length === 0) {
    const sweepable = records.filter((r) => r.kind !== "mae");
    const note = el("p", { className: "muted maskau-sweep-empty" });
    if (sweepable.length === 0) note.append("An MAE has no AU outputs: there is no F1 to sweep.");
    else note.append(`No occlusion sweep in ${records.length > 1 ? "these records" : "this record"}. Add one with `, el("code", { textContent: `maskau record ${sweepable.map((r) => r.checkpoint.path).join(" / ")} --sweep` }), ".");
    figure.append(note);
    return figure;
  }
  const lines = withSweep.flatMap((r) => r.sweep!.points.filter((p) => p.removed !== null).map((p) => ({ run: r.id, occlusion: p.occlusion, removed: p.removed!, meanF1: 100 * p.meanF1 })));
  const runs = withSweep.map((r) => r.id);
  figure.append(
    Plot.plot({
      width,
      height: 280,
      marginLeft: 44,
      x: { label: "removed (% of the face)" },
      y: { label: "mean F1 (%)", grid: true },
      color: { domain: runs, range: RUN_COLORS, legend: runs.length > 1 },
      marks: [
        Plot.line(lines, { x: "removed", y: "meanF1", stroke: "run", strokeWidth: 2 }),
        Plot.dot(lines, { x: "removed", y: "meanF1", fill: "run", r: 3, title: (d) => `${d.run}\n${d.occlusion}: ${d.meanF1.toFixed(1)}` }),
      ],
    }),
  );
  if (heatmap && withSweep.length === 1) {
    const r = withSweep[0];
    const cells = sweepRows(r).filter((d) => d.au !== "mean");
    figure.append(
      Plot.plot({
        width,
        height: 60 + 22 * r.sweep!.aus.length,
        marginLeft: 54,
        x: { label: "occlusion", domain: r.sweep!.points.map((p) => p.occlusion) },
        y: { label: null, domain: r.sweep!.aus.map((a) => `AU${a}`) },
        color: { scheme: "viridis", domain: [0, 100], legend: true, label: "F1 (%)" },
        marks: [Plot.cell(cells, { x: "occlusion", y: "au", fill: "f1", title: (d) => `${d.au}, ${d.occlusion}: ${d.f1.toFixed(1)}` }), Plot.text(cells, { x: "occlusion", y: "au", text: (d) => d.f1.toFixed(0), fill: "white", fontSize: 9 })],
      }),
    );
  }
  for (const r of withSweep) {
    const s = r.sweep!;
    figure.append(
      el("figcaption", { className: "muted", textContent: `${r.id}: ${s.input} faces${s.input === "occluded" ? ` (fill ${s.fill})` : s.mae ? ` (MAE ${s.mae.path}, sha256 ${shortHash(s.mae.sha256)})` : ""}, test fold ${s.fold} (${s.frames} frames), each face's mask a function of its frame; ${s.seconds} s to compute.` }),
      Rebuild(s.command),
    );
  }
  if (withSweep.length === 1) figure.append(TableDownloads(`${withSweep[0].id}-sweep`, sweepRows(withSweep[0]) as Row[]));
  return figure;
}

/** Per-AU F1 under the run's own condition and each other evaluated one, conditions as rows (class maskau-evaluations). */
export function Evaluations(r: RunRecord): HTMLElement {
  const figure = el("figure", { className: "maskau-evaluations" });
  const evals = r.evaluations ?? [];
  if (evals.length === 0) {
    figure.append(el("p", { className: "muted" }, r.kind === "mae" ? "An MAE has no AU outputs to evaluate." : "No other condition evaluated in this record. Add some with ", ...(r.kind === "mae" ? [] : [el("code", { textContent: `maskau record ${r.checkpoint.path} --eval occluded:random:0.5,composite:random:0.5` }), "."])));
    return figure;
  }
  const rows = evaluationRows(r);
  const conditions = [...new Set(rows.map((d) => d.condition))];
  const aus = [...new Set(rows.map((d) => d.au))];
  const cell = (c: string, au: string) => fmt(rows.find((d) => d.condition === c && d.au === au)?.f1 ?? null);
  figure.append(
    el("div", { className: "maskau-table-scroll" }, tableOf(["condition", ...aus.map((a) => (a === "mean" ? "mean F1 (%)" : a))], conditions.map((c) => [c, ...aus.map((au) => cell(c, au))]), "maskau-evaluations-table")),
    el("figcaption", { className: "muted", textContent: `F1 (%) on test fold ${evals[0].fold} (${evals[0].frames} frames), the same faces and masks in every condition.` }),
    ...[...new Set(evals.map((e) => e.command))].map((c) => Rebuild(c)),
    TableDownloads(`${r.id}-evaluations`, rows as Row[]),
  );
  return figure;
}

/** The loss curves of one or more runs (class maskau-history). */
export function LossHistory(records: RunRecord[], { width = 640 }: { width?: number } = {}): HTMLElement {
  const series = records.map((r, i) => ({ name: r.id, color: RUN_COLORS[i % RUN_COLORS.length], points: r.history.map(({ step, loss }) => ({ step, loss })) }));
  const figure = el("figure", { className: "maskau-history" });
  const chart = LossChart(series, { width, lossLabel: "training loss", empty: "No loss history in this record (the checkpoint's metadata kept none)." });
  figure.append(chart);
  for (const r of records) figure.append(Rebuild(r.command, records.length > 1 ? `Rebuild ${r.id}` : "Rebuild"));
  if (records.length === 1 && records[0].history.length) figure.append(TableDownloads(`${records[0].id}-history`, historyRows(records[0]) as Row[]));
  return figure;
}

/** The 2-D feature map coloured by one AU's state (or by identity), with silhouettes (class maskau-feature-map). */
export function FeatureMap(r: RunRecord, { colorBy = "identity", width = 640 }: { colorBy?: string; width?: number } = {}): HTMLElement {
  const f = r.features;
  const figure = el("figure", { className: "maskau-feature-map" });
  if (!f) {
    if (r.kind === "mae") figure.append(el("p", { className: "muted", textContent: "An MAE has no AU node features to map." }));
    else figure.append(el("p", { className: "muted" }, "No feature map in this record. Add one with ", el("code", { textContent: `maskau record ${r.checkpoint.path} --features` }), "."));
    return figure;
  }
  const au = f.aus.findIndex((a) => `AU${a}` === colorBy);
  const points = f.x.map((x, i) => ({ x, y: f.y[i], subject: f.subjects[i], state: au >= 0 ? (f.labels[i][au] ? "present" : "absent") : f.subjects[i] }));
  figure.dataset.points = String(points.length);
  figure.append(
    Plot.plot({
      width,
      height: Math.min(520, width),
      x: { axis: null },
      y: { axis: null },
      color: au >= 0 ? { domain: ["absent", "present"], range: ["#bbb", "#d62728"], legend: true } : { scheme: "tableau10", legend: false },
      marks: [Plot.dot(points, { x: "x", y: "y", fill: "state", r: 2.5, fillOpacity: 0.8, title: (d) => `${d.subject}: ${d.state}` })],
    }),
    el("figcaption", {
      className: "muted",
      textContent: `${f.method === "tsne" ? `t-SNE (perplexity ${f.perplexity}, ${f.iterations} iterations)` : `UMAP (${f.neighbours} neighbours, ${f.iterations} epochs)`}, seed ${f.seed}, of every AU node's features (${f.input} faces, ${f.occlusion}); ${f.faces}. Silhouette by identity ${fmt(f.silhouette.byIdentity, 3)}${au >= 0 ? `, by ${colorBy} ${fmt(f.silhouette.byAu[au], 3)}` : ""}.`,
    }),
    tableOf(
      ["", ...f.aus.map((a) => `AU${a}`), "identity"],
      [["silhouette", ...f.silhouette.byAu.map((v) => fmt(v, 2)), fmt(f.silhouette.byIdentity, 2)]],
      "maskau-silhouettes",
    ),
    Rebuild(f.command),
    TableDownloads(`${r.id}-feature-map`, featureRows(r)),
  );
  return figure;
}

/** The manifest: commands, seed, hashes, versions, commit, backend, config (class maskau-manifest). */
export function Manifest(r: RunRecord): HTMLElement {
  const rows = manifestRows(r);
  const figure = el("figure", { className: "maskau-manifest" });
  const table = tableOf(["", "value"], rows.map((m) => [m.key, m.value ? el("code", { textContent: m.value }) : null]), "maskau-manifest-table");
  figure.append(el("div", { className: "maskau-table-scroll" }, table), Rebuild(r.recordCommand ?? r.command, r.recordCommand ? "This record was written by" : "This record was written at the end of"), TableDownloads(`${r.id}-manifest`, rows));
  return figure;
}

/** Two runs side by side: per-AU F1 and its difference, curves overlaid, manifests diffed (class maskau-compare). */
export function CompareRuns(a: RunRecord, b: RunRecord, { width = 640 }: { width?: number } = {}): HTMLElement {
  const rows = compareAuRows(a, b);
  const root = el("div", { className: "maskau-compare" });
  root.dataset.a = a.id;
  root.dataset.b = b.id;
  const bars = rows.filter((d) => d.difference !== null);
  root.append(
    el("h3", { textContent: "Per-AU F1" }),
    tableOf(["AU", `${a.id} (%)`, `${b.id} (%)`, "b − a"], rows.map((d) => [d.au, fmt(d.a), fmt(d.b), d.difference === null ? null : `${d.difference >= 0 ? "+" : ""}${d.difference.toFixed(1)}`]), "maskau-compare-table"),
    Plot.plot({
      width,
      height: 220,
      marginLeft: 44,
      x: { label: null, domain: bars.map((d) => d.au) },
      y: { label: `F1 difference, ${b.id} − ${a.id} (points)`, grid: true },
      marks: [Plot.barY(bars, { x: "au", y: "difference", fill: (d) => ((d.difference ?? 0) >= 0 ? RUN_COLORS[1] : RUN_COLORS[0]) }), Plot.ruleY([0])],
    }),
    TableDownloads(`compare-${a.id}-${b.id}`, rows as Row[]),
    el("h3", { textContent: "Occlusion curves" }),
    SweepFigure([a, b], { width, heatmap: false }),
    el("h3", { textContent: "Loss" }),
    LossHistory([a, b], { width }),
    el("h3", { textContent: "Manifests: what differs" }),
  );
  const diff = manifestDiff(a, b);
  root.append(el("div", { className: "maskau-table-scroll" }, tableOf(["", a.id, b.id], diff.map((d) => [d.key, d.a ? el("code", { textContent: d.a }) : null, d.b ? el("code", { textContent: d.b }) : null]), "maskau-manifest-diff")));
  return root;
}
