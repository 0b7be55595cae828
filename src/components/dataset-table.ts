// A dataset's labels as arquero tables, for the Data page's summaries and
// downloads: one row per frame (subject, sequence, frame, fold, occurrence and
// intensity per AU), per-AU base rates and per-fold counts.
import arqueroDefault from "arquero/dist/arquero.min.js";
import type { AUDataset } from "../lib/data/dataset.js";

/**
 * The arquero API. Bundled (Framework, tsx) the UMD file's default export is
 * the API; evaluated as a plain ES module (Vite in tests) it has none and
 * installs the API as the global `aq` instead.
 */
export const aq: typeof arqueroDefault = arqueroDefault ?? (globalThis as { aq?: typeof arqueroDefault }).aq!;

type ColumnTable = ReturnType<typeof aq.table>;

/** Frame labels without the pixels. */
export type LabelData = Pick<
  AUDataset,
  "aus" | "labels" | "intensities" | "subjects" | "subject" | "sequence" | "frame" | "fold" | "folds"
>;

/** One row per frame: index, subject, sequence, frame, fold (1-based), AU<n> (0/1) and I<n> (0-5) columns. */
export function labelTable(ds: LabelData, indices?: ArrayLike<number>): ColumnTable {
  const idx = indices ? Array.from(indices) : Array.from({ length: ds.subject.length }, (_, i) => i);
  const A = ds.aus.length;
  const cols: Record<string, ArrayLike<unknown>> = {
    index: Int32Array.from(idx),
    subject: idx.map((i) => ds.subjects[ds.subject[i]]),
    sequence: Int32Array.from(idx, (i) => ds.sequence[i]),
    frame: Int32Array.from(idx, (i) => ds.frame[i]),
    fold: Int8Array.from(idx, (i) => ds.fold[i] + 1),
  };
  ds.aus.forEach((au, a) => {
    cols[`AU${au}`] = Uint8Array.from(idx, (i) => ds.labels[i * A + a]);
  });
  if (ds.intensities) {
    const it = ds.intensities;
    ds.aus.forEach((au, a) => {
      cols[`I${au}`] = Uint8Array.from(idx, (i) => it[i * A + a]);
    });
  }
  return aq.table(cols);
}

/** Frames of a split: fold k's test frames, its training frames (all other folds), or everything. */
export function splitIndices(ds: Pick<AUDataset, "fold">, split: { fold: number; part: "train" | "test" } | "all"): number[] {
  const out: number[] = [];
  for (let i = 0; i < ds.fold.length; i++) {
    if (split === "all" || (split.part === "test") === (ds.fold[i] === split.fold)) out.push(i);
  }
  return out;
}

export interface BaseRateRow {
  au: string;
  /** "all" or "fold 1", ... */
  group: string;
  frames: number;
  positives: number;
  rate: number;
}

/** Per-AU positives and base rates over all frames and per fold, computed with arquero (long format). */
export function baseRateRows(t: ColumnTable, aus: number[]): BaseRateRow[] {
  const auCols = aus.map((au) => `AU${au}`);
  const long = t.select("fold", ...auCols).fold(auCols, { as: ["au", "y"] });
  const byFold = long
    .groupby("fold", "au")
    .rollup({ frames: aq.op.count(), positives: aq.op.sum("y") })
    .derive({ group: aq.escape((d: { fold: number }) => `fold ${d.fold}`) });
  const all = long
    .groupby("au")
    .rollup({ frames: aq.op.count(), positives: aq.op.sum("y") })
    .derive({ group: () => "all" });
  return (all.concat(byFold.select("au", "frames", "positives", "group")) as ColumnTable)
    .derive({ rate: (d: { positives: number; frames: number }) => d.positives / d.frames })
    .objects() as unknown as BaseRateRow[];
}

export interface FoldCountRow {
  fold: number;
  subjects: number;
  frames: number;
  /** Positives per AU, by column name AU<n>. */
  [au: string]: number;
}

/** Subjects, frames and positives per AU in each fold (arquero rollup). */
export function foldCountRows(t: ColumnTable, aus: number[]): FoldCountRow[] {
  const sums: Record<string, unknown> = { subjects: aq.op.distinct("subject"), frames: aq.op.count() };
  for (const au of aus) sums[`AU${au}`] = aq.op.sum(`AU${au}`);
  return t.groupby("fold").rollup(sums as never).orderby("fold").objects() as unknown as FoldCountRow[];
}

/** CSV text of a table. */
export function tableCSV(t: ColumnTable): string {
  return aq.toCSV(t);
}

/** Arrow IPC (file format) bytes of a table. */
export function tableArrow(t: ColumnTable): Uint8Array {
  return aq.toArrowIPC(t, { format: "file" }) as Uint8Array;
}
