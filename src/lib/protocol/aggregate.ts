// The protocol's evaluations as results: for each condition and occlusion the mean +- SD of
// mean F1 over runs (folds x seeds) with a t interval and per-AU means, and for the
// differences that carry the paper's claims a paired subject-bootstrap interval pooled over
// runs; student vs teacher against an equivalence margin fixed before running. Pure data.
import { equivalence, meanSd, pairedBootstrapDiff, type EquivalenceVerdict, type Interval, type PairedRun, type SubjectCounts } from "../eval/bootstrap.js";
import { PAPER_STUDENT } from "../eval/headline.js";
import { CONDITION_NAMES, PAPER_TABLE2 } from "../eval/table2.js";
import type { Fill } from "../masks/fill.js";
import type { ProtocolCurveRow } from "./curves.js";
import { ABLATIONS, type ProtocolRole } from "./plan.js";

/** The paper's mean F1 (%) on BP4D by occlusion and condition: Table 2 and its student (e). */
export const PAPER_BP4D: Record<string, Record<string, number | null>> = {
  none: { "(a)": PAPER_TABLE2["random:0.5"]["(a)"] },
  "random:0.5": { ...PAPER_TABLE2["random:0.5"], "(e)": PAPER_STUDENT["random:0.5"] },
  "block:0.3": { ...PAPER_TABLE2["block:0.3"], "(e)": PAPER_STUDENT["block:0.3"] },
};

/**
 * The paper's mean F1 (%) on DISFA (its Table 3, 8 AUs): ME-GraphAU on clean faces (a), on
 * occluded faces (b) and on reconstructions (c), its teacher (d) and student (e).
 */
export const PAPER_DISFA: Record<string, Record<string, number | null>> = {
  none: { "(a)": 63.1 },
  "random:0.5": { "(a)": 63.1, "(b)": 37.58, "(c)": 54.72, "(d)": 60.62, "(e)": 61.25 },
  "block:0.3": { "(a)": 63.1, "(b)": 42.01, "(c)": 47.0, "(d)": 56.13, "(e)": 54.37 },
};

/** The paper's figures by protocol dataset. */
export const PAPER_RESULTS: Record<string, Record<string, Record<string, number | null>>> = { bp4d: PAPER_BP4D, disfa: PAPER_DISFA };

export interface ProtocolEvalRow {
  /** "(a)", "(b)", "(c)", "(d1)", "(d)", "(e)", "(e0)". */
  condition: string;
  role: ProtocolRole;
  /** Id of the planned run whose checkpoint was scored. */
  run: string;
  input: string;
  occlusion: string;
  f1: number[];
  meanF1: number;
  /** Per-subject confusion counts, [subjects, AUs, 4] flat (TP, FP, TN, FN), subjects in the file's order. */
  counts: number[];
}

/** The evaluation of one fold and seed. */
export interface ProtocolEvalFile {
  fold: number;
  seed: number;
  fill: Fill;
  aus: number[];
  /** The fold's test subjects, sorted. */
  subjects: string[];
  /** SHA-256 of every checkpoint scored (and of the MAE behind the composites), by run id. */
  checkpoints: Record<string, string>;
  rows: ProtocolEvalRow[];
  /** Fig. 3's points for this fold and seed (curves.ts); absent in evaluations made before the curves were part of the protocol. */
  curves?: ProtocolCurveRow[];
}

/** What each condition is, in the paper's words. */
export const CONDITION_LABELS: Record<string, string> = {
  "(a)": CONDITION_NAMES["(a)"],
  "(b)": CONDITION_NAMES["(b)"],
  "(c)": CONDITION_NAMES["(c)"],
  "(d1)": "stage-1 teacher, composites",
  "(d)": "teacher (stage 2), composites",
  "(e)": "student, occluded faces",
  "(e0)": "student with alpha = 0, occluded faces",
  ...Object.fromEntries(ABLATIONS.map((a) => [`(e:${a.name})`, `student, ${a.what}, occluded faces`])),
  "(f1)": "control: detector trained on occluded faces (stage 1, no MAE)",
  "(f)": "control: detector trained on occluded faces (stage 2, no MAE)",
};
const ORDER = Object.keys(CONDITION_LABELS);

/** The differences behind the paper's claims: [a, b, what it says]. */
export const CLAIMS: readonly [string, string, string][] = [
  ["(c)", "(b)", "reconstruction helps a detector that never saw occlusion"],
  ["(d)", "(c)", "training on composites helps (the teacher)"],
  ["(e)", "(c)", "the student beats reconstruct-then-detect"],
  ["(e)", "(e0)", "distillation helps the student"],
  ["(e)", "(d)", "the student matches its teacher (equivalence margin)"],
  // MaskAU's additions, where the ablations were run:
  ["(e)", "(f)", "the MAE latent matters: the student beats a detector trained on occluded faces"],
  ["(d)", "(f)", "reconstruction matters: the teacher on composites beats the same training on occluded faces"],
  ...ABLATIONS.map((a): [string, string, string] => [`(e:${a.name})`, "(e)", `ablation: ${a.what} instead of (e)'s setting`]),
];

export interface ConditionSummary {
  condition: string;
  label: string;
  occlusion: string;
  runs: number;
  /** Mean F1 over runs and its spread (fractions, not percent). */
  mean: number;
  sd: number;
  lo: number;
  hi: number;
  /** Per-AU F1 averaged over runs. */
  perAu: number[];
}

export interface ClaimSummary {
  a: string;
  b: string;
  claim: string;
  occlusion: string;
  runs: number;
  interval: Interval;
  /** Each run's own difference of mean F1 (the rows' meanF1, a minus b), in the order of the runs. */
  perRun: { fold: number; seed: number; estimate: number }[];
  /** Student vs teacher only. */
  equivalence?: { verdict: EquivalenceVerdict; margin: number; ci90: Interval };
}

export interface ProtocolResults {
  aus: number[];
  folds: number[];
  seeds: number[];
  /** The (fold, seed) runs aggregated, in order. */
  pairs: { fold: number; seed: number }[];
  fill: Fill | null;
  conditions: ConditionSummary[];
  claims: ClaimSummary[];
  resamples: number;
}

/** A row's per-subject counts, checked against the file's subjects and AUs (`what` names the kind of row in the error, e.g. "curve point "). */
export function rowCounts(file: ProtocolEvalFile, row: ProtocolEvalRow, what = ""): SubjectCounts {
  const expected = file.subjects.length * file.aus.length * 4;
  if (row.counts.length !== expected) throw new Error(`fold ${file.fold} seed ${file.seed} ${what}${row.condition} ${row.occlusion}: ${row.counts.length} counts, expected ${expected} (${file.subjects.length} subjects x ${file.aus.length} AUs x 4)`);
  return { subjects: file.subjects, aus: file.aus, counts: Float64Array.from(row.counts) };
}

export function aggregateProtocol(files: ProtocolEvalFile[], { resamples = 2000, margin = 0.02, seed = 0 }: { resamples?: number; margin?: number; seed?: number } = {}): ProtocolResults {
  if (files.length === 0) throw new Error("aggregateProtocol: no evaluations");
  const aus = files[0].aus;
  for (const f of files) if (f.aus.join() !== aus.join()) throw new Error(`fold ${f.fold} seed ${f.seed}: AUs ${f.aus.join(",")} differ from ${aus.join(",")}`);
  // The rows of each condition and occlusion over the runs.
  const groups = new Map<string, ProtocolEvalRow[]>();
  for (const row of files.flatMap((f) => f.rows)) {
    const k = `${row.condition} ${row.occlusion}`;
    groups.set(k, [...(groups.get(k) ?? []), row]);
  }
  const conditions: ConditionSummary[] = [...groups.values()].map((g) => {
    const { condition, occlusion } = g[0];
    const stats = meanSd(g.map((row) => row.meanF1));
    const perAu = aus.map((_, a) => g.reduce((s, row) => s + row.f1[a], 0) / g.length);
    return { condition, label: CONDITION_LABELS[condition] ?? condition, occlusion, runs: g.length, mean: stats.mean, sd: stats.sd, lo: stats.lo, hi: stats.hi, perAu };
  });
  conditions.sort((x, y) => ORDER.indexOf(x.condition) - ORDER.indexOf(y.condition) || x.occlusion.localeCompare(y.occlusion));
  const occlusions = [...new Set(files.flatMap((f) => f.rows.map((r) => r.occlusion)))].filter((o) => o !== "none").sort();
  const claims: ClaimSummary[] = [];
  for (const occlusion of occlusions) {
    for (const [a, b, claim] of CLAIMS) {
      const pairs: PairedRun[] = [];
      const perRun: ClaimSummary["perRun"] = [];
      for (const file of files) {
        const ra = file.rows.find((r) => r.condition === a && r.occlusion === occlusion);
        const rb = file.rows.find((r) => r.condition === b && r.occlusion === occlusion);
        if (!ra || !rb) continue;
        pairs.push({ fold: file.fold, a: rowCounts(file, ra), b: rowCounts(file, rb) });
        perRun.push({ fold: file.fold, seed: file.seed, estimate: ra.meanF1 - rb.meanF1 });
      }
      if (pairs.length === 0) continue;
      const interval = pairedBootstrapDiff(pairs, { resamples, seed });
      const summary: ClaimSummary = { a, b, claim, occlusion, runs: pairs.length, interval, perRun };
      if (a === "(e)" && b === "(d)") {
        const eq = equivalence(pairs, margin, { resamples, seed });
        summary.equivalence = { verdict: eq.verdict, margin, ci90: eq.ci90 };
      }
      claims.push(summary);
    }
  }
  return {
    aus,
    folds: [...new Set(files.map((f) => f.fold))].sort((x, y) => x - y),
    seeds: [...new Set(files.map((f) => f.seed))].sort((x, y) => x - y),
    pairs: files.map((f) => ({ fold: f.fold, seed: f.seed })).sort((x, y) => x.fold - y.fold || x.seed - y.seed),
    fill: files[0].fill ?? null,
    conditions,
    claims,
    resamples,
  };
}

const pct = (x: number, digits = 1) => (100 * x).toFixed(digits);
const signed = (x: number) => (x >= 0 ? "+" : "−") + pct(Math.abs(x));

/** "1 fold (1) x 3 seeds (0, 1, 2)" for a full grid, else the seeds of each fold. */
export function runsPhrase(r: Pick<ProtocolResults, "folds" | "seeds" | "pairs">): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  if (r.pairs.length === r.folds.length * r.seeds.length) return `${plural(r.folds.length, "fold")} (${r.folds.join(", ")}) x ${plural(r.seeds.length, "seed")} (${r.seeds.join(", ")})`;
  const seedsOf = (fold: number) => r.pairs.filter((p) => p.fold === fold).map((p) => p.seed);
  return `${plural(r.pairs.length, "run")}: ${r.folds.map((f) => `fold ${f} (${seedsOf(f).length === 1 ? "seed" : "seeds"} ${seedsOf(f).join(", ")})`).join(", ")}`;
}

/** runsPhrase of a list of (fold, seed) runs. */
export function pairsPhrase(pairs: { fold: number; seed: number }[]): string {
  const sorted = (xs: number[]) => [...new Set(xs)].sort((x, y) => x - y);
  return runsPhrase({ pairs, folds: sorted(pairs.map((p) => p.fold)), seeds: sorted(pairs.map((p) => p.seed)) });
}

/** The results as markdown tables (mean F1 +- SD, per-AU means, claims with intervals). */
export function resultsMarkdown(
  r: ProtocolResults,
  { command, ledger, paper, paperName = "BP4D" }: { command: string; ledger?: string; paper?: Record<string, Record<string, number | null>>; paperName?: string },
): string {
  const paperOf = (c: ConditionSummary) => {
    const v = paper?.[c.occlusion]?.[c.condition];
    return typeof v === "number" ? v.toFixed(1) : "—";
  };
  const runs = runsPhrase(r);
  const lines = [
    `Mean F1 (%) over ${runs}: mean ± SD over runs, and the 95% t interval of the mean${paper ? `; the paper's figure (full-size models on ${paperName}) beside it` : ""}. ${ledger ? `From the ledger in \`${ledger}\`, rebuilt` : "Rebuilt"} by \`${command}\`.`,
    "",
    `| condition | occlusion | runs | mean F1 | ± SD | 95% interval |${paper ? " paper |" : ""}`,
    `|---|---|---:|---:|---:|---|${paper ? "---:|" : ""}`,
    ...r.conditions.map(
      (c) => `| ${c.condition} ${c.label} | ${c.occlusion} | ${c.runs} | **${pct(c.mean)}** | ${c.runs > 1 ? pct(c.sd) : "—"} | ${c.runs > 1 ? `${pct(c.lo)} – ${pct(c.hi)}` : "—"} |${paper ? ` ${paperOf(c)} |` : ""}`,
    ),
    "",
    "Per AU (F1 %, mean over runs):",
    "",
    `| condition | occlusion | ${r.aus.map((a) => `AU${a}`).join(" | ")} | mean |`,
    `|---|---|${r.aus.map(() => "---:").join("|")}|---:|`,
    ...r.conditions.map((c) => `| ${c.condition} | ${c.occlusion} | ${c.perAu.map((v) => pct(v)).join(" | ")} | **${pct(c.mean)}** |`),
    "",
    `The paper's claims as differences of mean F1 (points), each with its paired subject-bootstrap 95% interval (${r.resamples} resamples of each fold's test subjects, shared by both models and by the seeds of a fold); the last column counts the runs whose own difference is above 0, with the range of the runs' differences:`,
    "",
    "| difference | occlusion | claim | runs | estimate | 95% interval | verdict | each run: above 0 (range) |",
    "|---|---|---|---:|---:|---|---|---|",
    ...r.claims.map((c) => {
      const i = c.interval;
      const verdict = c.equivalence
        ? `${c.equivalence.verdict} within ±${pct(c.equivalence.margin, 0)} (90%: ${signed(c.equivalence.ci90.lo)} – ${signed(c.equivalence.ci90.hi)})`
        : i.lo > 0
          ? "holds (interval above 0)"
          : i.hi < 0
            ? "reversed (interval below 0)"
            : "not shown (interval contains 0)";
      const each = c.perRun.map((p) => p.estimate);
      const range = each.length > 1 ? ` (${signed(Math.min(...each))} – ${signed(Math.max(...each))})` : "";
      return `| ${c.a} − ${c.b} | ${c.occlusion} | ${c.claim} | ${c.runs} | ${signed(i.estimate)} | ${signed(i.lo)} – ${signed(i.hi)} | ${verdict} | ${each.filter((x) => x > 0).length} of ${each.length}${range} |`;
    }),
  ];
  return lines.join("\n");
}
