// The four conditions of the paper's Table 2 as `maskau reproduce table2` writes them
// (JSON: {dataset, fold, mae, aus, rows}), arranged for the pages: one group per
// occlusion with (a) clean, (b) occluded, (c) composite, (d) teacher, and the paper's
// BP4D mean F1 next to each.

export interface Table2Row {
  /** "(a)", "(b)", "(c)" or "(d)". */
  condition: string;
  label: string;
  /** What the detector was trained on: "clean" or "composite OCC". */
  train: string;
  /** What it was tested on: "clean", "occluded OCC" or "composite OCC". */
  test: string;
  ckpt: string;
  /** Per-AU F1 in [0, 1]. */
  f1: number[];
  meanF1: number;
}

export interface Table2File {
  dataset?: unknown;
  fold?: number;
  mae?: unknown;
  aus: number[];
  rows: Table2Row[];
}

export const CONDITIONS = ["(a)", "(b)", "(c)", "(d)"] as const;
export type Condition = (typeof CONDITIONS)[number];

/** What each condition is, in words. */
export const CONDITION_NAMES: Record<Condition, string> = {
  "(a)": "clean detector, clean faces",
  "(b)": "clean detector, occluded faces",
  "(c)": "clean detector, MAE composites",
  "(d)": "teacher (trained on composites), composites",
};

/** ME-GraphAU on BP4D, mean F1 % (the paper's Table 2): clean 65.5; per occlusion (b), (c), (d). */
export const PAPER_TABLE2: Record<string, Record<Condition, number | null>> = {
  "random:0.5": { "(a)": 65.5, "(b)": 30.73, "(c)": 54.3, "(d)": 63.38 },
  "block:0.3": { "(a)": 65.5, "(b)": 50.81, "(c)": 52.18, "(d)": 62.09 },
};

/** How an occlusion is said in captions. */
export function occlusionName(occ: string): string {
  const [kind, a] = occ.split(":");
  if (kind === "random") return `${Math.round(Number(a) * 100)}% random patches`;
  if (kind === "block") return `${Math.round(Number(a) * 100)}% block`;
  return occ;
}

/** The occlusion a row is about (null for the clean test). */
export function rowOcclusion(row: Pick<Table2Row, "test">): string | null {
  const [input, occ] = row.test.trim().split(/\s+/);
  return input === "clean" || !occ ? null : occ;
}

export interface Table2Group {
  occlusion: string;
  rows: (Table2Row & { condition: Condition })[];
  paper: Record<Condition, number | null> | null;
}

/** Checks the JSON's shape; throws with what is wrong. */
export function checkTable2(json: unknown, source = "table2.json"): Table2File {
  const t = json as Table2File;
  if (!t || !Array.isArray(t.aus) || !Array.isArray(t.rows)) throw new Error(`${source}: expected {aus: [...], rows: [...]}`);
  for (const r of t.rows) {
    if (!CONDITIONS.includes(r.condition as Condition)) throw new Error(`${source}: unknown condition ${JSON.stringify(r.condition)}`);
    if (!Array.isArray(r.f1) || r.f1.length !== t.aus.length) throw new Error(`${source}: row ${r.label} has ${r.f1?.length} F1 values for ${t.aus.length} AUs`);
  }
  return t;
}

/** One group per occlusion, each with the clean row (a) first, in the order (a)-(d). */
export function table2Groups(t: Table2File): Table2Group[] {
  const clean = t.rows.filter((r) => r.condition === "(a)");
  const occlusions: string[] = [];
  for (const r of t.rows) {
    const occ = rowOcclusion(r);
    if (occ && !occlusions.includes(occ)) occlusions.push(occ);
  }
  return occlusions.map((occlusion) => {
    const rows = [...clean, ...t.rows.filter((r) => r.condition !== "(a)" && rowOcclusion(r) === occlusion)] as Table2Group["rows"];
    rows.sort((x, y) => CONDITIONS.indexOf(x.condition) - CONDITIONS.indexOf(y.condition));
    return { occlusion, rows, paper: PAPER_TABLE2[occlusion] ?? null };
  });
}

/** A sentence comparing the measured mean F1 with the paper's (percent). */
export function compareWithPaper(group: Table2Group): string {
  const mean = (c: Condition) => group.rows.find((r) => r.condition === c)?.meanF1;
  const pct = (x: number | undefined) => (x === undefined ? "–" : (100 * x).toFixed(1));
  const [a, b, c, d] = CONDITIONS.map(mean);
  const ours = `clean ${pct(a)} → occluded ${pct(b)} → composite ${pct(c)}, teacher ${pct(d)}`;
  const p = group.paper;
  const paper = p ? `the paper's ${p["(a)"]} → ${p["(b)"]} → ${p["(c)"]}, teacher ${p["(d)"]}` : "no paper figure";
  let shape = "";
  if (a !== undefined && b !== undefined && c !== undefined && d !== undefined) {
    const lost = a - b;
    const recovered = (x: number) => (lost > 0 ? Math.round((100 * (x - b)) / lost) : NaN);
    shape = lost > 0
      ? ` Occlusion costs ${(100 * lost).toFixed(1)} points here; the composites win back ${recovered(c)}% of them and the teacher ${recovered(d)}%` +
        (p && p["(a)"] !== null && p["(b)"] !== null && p["(c)"] !== null && p["(d)"] !== null
          ? ` (paper: ${Math.round((100 * (p["(c)"] - p["(b)"])) / (p["(a)"] - p["(b)"]))}% and ${Math.round((100 * (p["(d)"] - p["(b)"])) / (p["(a)"] - p["(b)"]))}%).`
          : ".")
      : " Here occlusion does not lower the mean F1.";
  }
  return `${occlusionName(group.occlusion)}: ${ours} (mean F1 %), against ${paper} on BP4D.${shape}`;
}
