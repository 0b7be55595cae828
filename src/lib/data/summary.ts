// Plain-data summaries of a dataset for pages, the CLI and reports: counts per
// fold, per-AU base rates, AU co-occurrence, intensity histograms.
import type { AUDataset } from "./dataset.js";

export interface FoldSummary {
  fold: number;
  subjects: string[];
  frames: number;
  /** Occurrence rate per AU (same order as `aus`). */
  baseRates: number[];
}

export interface DatasetSummary {
  name: string;
  size: number;
  frames: number;
  subjects: number;
  sequences: number;
  aus: number[];
  /** Occurrence rate per AU over all frames. */
  baseRates: number[];
  folds: FoldSummary[];
  /** P(AU j occurs | AU i occurs), [A][A]; NaN where AU i never occurs. */
  conditional: number[][];
  /** Frames per intensity level 0..5 per AU, [A][6]; null when intensities are unknown. */
  intensityHistogram: number[][] | null;
}

/** Fraction of the given frames (default all) in which each AU occurs. */
export function baseRates(ds: Pick<AUDataset, "labels" | "aus">, indices?: ArrayLike<number>): number[] {
  const A = ds.aus.length;
  const counts = new Array<number>(A).fill(0);
  const n = indices ? indices.length : ds.labels.length / A;
  for (let j = 0; j < n; j++) {
    const i = indices ? indices[j] : j;
    for (let a = 0; a < A; a++) counts[a] += ds.labels[i * A + a];
  }
  return counts.map((c) => (n > 0 ? c / n : NaN));
}

/** P(column j = 1 | column i = 1) over an [N, A] 0/1 matrix. */
export function conditionalOccurrence(labels: Uint8Array, A: number): number[][] {
  const n = labels.length / A;
  const joint = Array.from({ length: A }, () => new Array<number>(A).fill(0));
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < A; i++) {
      if (!labels[k * A + i]) continue;
      for (let j = 0; j < A; j++) joint[i][j] += labels[k * A + j];
    }
  }
  return joint.map((row, i) => row.map((c) => (joint[i][i] > 0 ? c / joint[i][i] : NaN)));
}

export function summarizeDataset(ds: AUDataset): DatasetSummary {
  const A = ds.aus.length;
  const n = ds.subject.length;
  const folds: FoldSummary[] = [];
  for (let f = 0; f < ds.folds; f++) {
    const idx: number[] = [];
    const subj = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (ds.fold[i] !== f) continue;
      idx.push(i);
      subj.add(ds.subject[i]);
    }
    folds.push({
      fold: f,
      subjects: [...subj].sort((a, b) => a - b).map((s) => ds.subjects[s]),
      frames: idx.length,
      baseRates: baseRates(ds, idx),
    });
  }
  let hist: number[][] | null = null;
  if (ds.intensities) {
    hist = Array.from({ length: A }, () => new Array<number>(6).fill(0));
    for (let i = 0; i < n; i++) for (let a = 0; a < A; a++) hist[a][Math.min(5, ds.intensities[i * A + a])]++;
  }
  return {
    name: ds.name,
    size: ds.size,
    frames: n,
    subjects: new Set(ds.subject).size,
    sequences: new Set(ds.sequence).size,
    aus: ds.aus.slice(),
    baseRates: baseRates(ds),
    folds,
    conditional: conditionalOccurrence(ds.labels, A),
    intensityHistogram: hist,
  };
}

/** A fixed-width text table of a summary (for the CLI and logs). */
export function formatSummary(s: DatasetSummary): string {
  const lines: string[] = [];
  lines.push(`${s.name}: ${s.frames} frames, ${s.subjects} subjects, ${s.sequences} sequences, ${s.size}x${s.size} px`);
  const head = ["", ...s.aus.map((au) => `AU${au}`)].map((x, i) => (i === 0 ? x.padEnd(22) : x.padStart(6))).join("");
  lines.push(head);
  const row = (label: string, rates: number[]) =>
    label.padEnd(22) + rates.map((r) => (Number.isFinite(r) ? r.toFixed(2) : "-").padStart(6)).join("");
  lines.push(row("base rate (all)", s.baseRates));
  for (const f of s.folds) lines.push(row(`fold ${f.fold + 1}: ${f.subjects.length} subj ${f.frames} fr`, f.baseRates));
  return lines.join("\n");
}
