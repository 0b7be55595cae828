// Run records as flat tables: what the report pages draw, compare and offer as CSV, JSON
// and Arrow downloads. Plain rows of numbers and strings, no DOM.
import { previewJson, setOwn } from "../io/untrusted-json.js";
import type { RunRecord } from "./record.js";

export interface HeadlineRow {
  id: string;
  kind: string;
  title: string;
  condition: string;
  fold: number | null;
  seed: number | null;
  steps: number | null;
  /** Percent. */
  meanF1: number | null;
  meanAcc: number | null;
  loss: number | null;
  sha256: string;
}

/** One row per run: the headline numbers (F1 and accuracy in percent). */
export function headlineRow(r: RunRecord): HeadlineRow {
  const pct = (v: number | null) => (v === null ? null : 100 * v);
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    condition: r.condition ? [r.condition.input, r.condition.occlusion === "none" ? "" : r.condition.occlusion].filter(Boolean).join(" ") : "",
    fold: r.fold,
    seed: r.seed,
    steps: r.checkpoint.step,
    meanF1: pct(r.metrics.meanF1),
    meanAcc: pct(r.metrics.meanAcc),
    loss: r.metrics.loss,
    sha256: r.checkpoint.sha256,
  };
}

/** Per-AU F1 (percent) on the recorded split. */
export function perAuRows(r: RunRecord): { au: string; f1: number | null }[] {
  return r.metrics.aus.map((au, i) => ({ au: `AU${au}`, f1: r.metrics.f1[i] === null ? null : 100 * r.metrics.f1[i]! }));
}

/** The occlusion sweep, long: one row per occlusion and AU, plus the mean as au "mean" (percent). */
export function sweepRows(r: RunRecord): { occlusion: string; removed: number | null; au: string; f1: number }[] {
  const s = r.sweep;
  if (!s) return [];
  return s.points.flatMap((p) => [
    ...s.aus.map((au, i) => ({ occlusion: p.occlusion, removed: p.removed, au: `AU${au}`, f1: 100 * p.f1[i] })),
    { occlusion: p.occlusion, removed: p.removed, au: "mean", f1: 100 * p.meanF1 },
  ]);
}

/** The run's own evaluation and its other evaluations, long: one row per condition and AU, plus the mean (percent). */
export function evaluationRows(r: RunRecord): { condition: string; au: string; f1: number | null }[] {
  const own = r.condition ? (r.condition.input === "clean" ? "clean" : `${r.condition.input} ${r.condition.occlusion}`) : "test";
  const rows: { condition: string; au: string; f1: number | null }[] = [];
  if (r.metrics.aus.length) {
    rows.push(...perAuRows(r).map((d) => ({ condition: `${own} (training's evaluation)`, au: d.au, f1: d.f1 })));
    rows.push({ condition: `${own} (training's evaluation)`, au: "mean", f1: r.metrics.meanF1 === null ? null : 100 * r.metrics.meanF1 });
  }
  for (const e of r.evaluations ?? []) {
    rows.push(...e.aus.map((au, i) => ({ condition: e.label, au: `AU${au}`, f1: 100 * e.f1[i] })));
    rows.push({ condition: e.label, au: "mean", f1: 100 * e.meanF1 });
  }
  return rows;
}

/** The loss history with every per-step number as a column (absent values null). */
export function historyRows(r: RunRecord): Record<string, number | null>[] {
  const keys = [...new Set(r.history.flatMap((h) => Object.keys(h)))];
  const order = ["step", "loss", "lr", ...keys.filter((k) => !["step", "loss", "lr"].includes(k))].filter((k) => keys.includes(k));
  return r.history.map((h) => Object.fromEntries(order.map((k) => [k, h[k] ?? null])));
}

/** The 2-D feature map, one row per face: x, y, subject and each AU's state. */
export function featureRows(r: RunRecord): Record<string, number | string>[] {
  const f = r.features;
  if (!f) return [];
  return f.x.map((x, i) => ({ x, y: f.y[i], subject: f.subjects[i], ...Object.fromEntries(f.aus.map((au, j) => [`AU${au}`, f.labels[i][j]])) }));
}

const FLATTEN_DEPTH = 6;
const FLATTEN_KEYS = 500;

/**
 * Flattens nested values to dotted keys: {a: {b: 1}, c: [1, 2]} -> a.b = 1, c = [1,2].
 * Records come from files: below FLATTEN_DEPTH levels, and for lists, values are shown as
 * bounded previews, and at most FLATTEN_KEYS keys are kept.
 */
export function flatten(value: unknown, prefix = "", out: Record<string, string> = {}, depth = 0): Record<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < FLATTEN_DEPTH) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) setOwn(out, prefix, "{}");
    for (const [k, v] of entries) {
      if (Object.keys(out).length >= FLATTEN_KEYS) break;
      flatten(v, prefix ? `${prefix}.${k}` : k, out, depth + 1);
    }
  } else if (prefix) {
    setOwn(out, prefix, typeof value === "string" ? value : previewJson(value, 200));
  }
  return out;
}

/** The manifest: what rebuilds the run and where its numbers were computed, as key/value rows. */
export function manifestRows(r: RunRecord): { key: string; value: string }[] {
  const e = r.environment;
  const rows: [string, unknown][] = [
    ["command", r.command],
    ["record command", r.recordCommand],
    ["seed", r.seed],
    ["dataset", r.dataset.name],
    ["fold", r.fold],
    ["checkpoint", r.checkpoint.path],
    ["checkpoint sha256", r.checkpoint.sha256],
    ["weights sha256 (tensors alone)", r.checkpoint.tensorsSha256 ?? null],
    ["checkpoint bytes", r.checkpoint.bytes],
    ["checkpoint step", r.checkpoint.step],
    ["checkpoint written", r.checkpoint.createdAt],
    ["environment describes", e.scope === "training" ? "the training run" : "the record's computation (the checkpoint's metadata names no environment)"],
    ["commit", e.commit === null ? null : `${e.commit}${e.dirty ? " (uncommitted changes)" : ""}`],
    ["backend", e.backend],
    ["node", e.node],
    ["platform", e.platform],
    ...Object.entries(e.packages).map(([k, v]) => [k, v] as [string, unknown]),
    ...Object.entries(flatten(r.model.config, "config")),
    ...Object.entries(r.spec ? flatten(r.spec, "spec") : { spec: "none recorded (the checkpoint predates run specs; its command and config say how it was made)" }),
    ...Object.entries(typeof r.dataset.description === "object" && r.dataset.description ? flatten(r.dataset.description, "dataset") : {}),
  ];
  return rows.map(([key, v]) => ({ key, value: v === null || v === undefined ? "" : String(v) }));
}

/** Per-AU F1 of two runs side by side (percent) with b - a. AUs of either run, in a's order first. */
export function compareAuRows(a: RunRecord, b: RunRecord): { au: string; a: number | null; b: number | null; difference: number | null }[] {
  const ra = new Map(perAuRows(a).map((r) => [r.au, r.f1]));
  const rb = new Map(perAuRows(b).map((r) => [r.au, r.f1]));
  const aus = [...new Set([...ra.keys(), ...rb.keys()])];
  const rows = aus.map((au) => {
    const x = ra.get(au) ?? null;
    const y = rb.get(au) ?? null;
    return { au, a: x, b: y, difference: x === null || y === null ? null : y - x };
  });
  const ma = a.metrics.meanF1;
  const mb = b.metrics.meanF1;
  if (ma !== null || mb !== null) {
    rows.push({ au: "mean", a: ma === null ? null : 100 * ma, b: mb === null ? null : 100 * mb, difference: ma === null || mb === null ? null : 100 * (mb - ma) });
  }
  return rows;
}

/** Manifest keys whose values differ between two runs (a key one run lacks shows as empty). */
export function manifestDiff(a: RunRecord, b: RunRecord): { key: string; a: string; b: string }[] {
  const ma = new Map(manifestRows(a).map((r) => [r.key, r.value]));
  const mb = new Map(manifestRows(b).map((r) => [r.key, r.value]));
  const keys = [...new Set([...ma.keys(), ...mb.keys()])];
  return keys.flatMap((key) => {
    const x = ma.get(key) ?? "";
    const y = mb.get(key) ?? "";
    return x === y ? [] : [{ key, a: x, b: y }];
  });
}

/** The records without their bulky sections (history kept, feature coordinates dropped): what the runs index loads. */
export function indexEntry(r: RunRecord): RunRecord {
  const { features, ...rest } = r;
  return features ? { ...rest, features: { ...features, x: [], y: [], labels: [], subjects: [] } } : rest;
}
