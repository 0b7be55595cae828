// The paper's Fig. 3 inside the protocol: for each fold and seed, mean F1 against the share
// of the face removed, for (b) the clean detector on occluded faces, (c) the clean detector
// on MAE composites, (d) the teacher on composites and (e) the student on occluded faces,
// the teacher and student being those trained at the curve's occlusion. Each point keeps
// the per-subject confusion counts, so the curves aggregate over folds and seeds with a
// subject-bootstrap interval at every point, and the student gets a paired interval at every
// ratio against ME-GraphAU on the occluded faces (b), what the paper's Fig. 3 compares it
// with, and against reconstruct-then-detect (c), which the figure does not draw. Pure data.
import { bootstrapMeanF1, meanSd, pairedBootstrapDiff, type Interval } from "../eval/bootstrap.js";
import { PAPER_FIG3, removedPercent } from "../eval/fig3.js";
import type { InputKind } from "../eval/conditions.js";
import { pairsPhrase, rowCounts, type ProtocolEvalFile, type ProtocolEvalRow } from "./aggregate.js";
import { PROTOCOL_CURVES, type CurveSpec, type PlannedRun } from "./plan.js";

/** A point of a curve in a fold-seed evaluation: a row scored at one occlusion, tagged with its curve. */
export interface ProtocolCurveRow extends ProtocolEvalRow {
  curve: string;
}

/** One score to compute for a curve: which run's checkpoint reads which input under which occlusion. */
export interface CurveJob {
  curve: string;
  condition: "(b)" | "(c)" | "(d)" | "(e)";
  run: PlannedRun;
  input: InputKind;
  occlusion: string;
}

export const CURVE_CONDITIONS = ["(b)", "(c)", "(d)", "(e)"] as const;

/** What the curves of a fold and seed need scored, from the runs of that fold and seed (curves whose models are not in the plan are left out). */
export function curveJobs(curves: readonly CurveSpec[], runs: PlannedRun[]): CurveJob[] {
  const jobs: CurveJob[] = [];
  for (const c of curves) {
    const clean = runs.find((r) => r.role === "clean");
    const teacher = runs.find((r) => r.role === "teacher" && r.occlusion === c.trainedOn);
    const student = runs.find((r) => r.role === "student" && r.occlusion === c.trainedOn);
    if (!clean || !teacher || !student) continue;
    for (const occlusion of c.occlusions) {
      jobs.push(
        { curve: c.name, condition: "(b)", run: clean, input: "occluded", occlusion },
        { curve: c.name, condition: "(c)", run: clean, input: "composite", occlusion },
        { curve: c.name, condition: "(d)", run: teacher, input: "composite", occlusion },
        { curve: c.name, condition: "(e)", run: student, input: "occluded", occlusion },
      );
    }
  }
  return jobs;
}

/** A key that names one point of one curve in one evaluation. */
export const curveKey = (p: { curve: string; condition: string; run: string; occlusion: string }) => `${p.curve} ${p.condition} ${p.run} ${p.occlusion}`;

export interface CurvePoint {
  curve: string;
  condition: string;
  occlusion: string;
  /** Share of the face removed, percent. */
  removed: number;
  runs: number;
  /** Mean over runs of mean F1 (fraction) and its SD over runs. */
  mean: number;
  sd: number;
  /** Subject-bootstrap 95% interval of the mean over runs (each fold's subjects resampled, shared by its seeds). */
  interval: Interval;
}

export interface CurveClaim {
  curve: string;
  occlusion: string;
  removed: number;
  a: string;
  b: string;
  runs: number;
  interval: Interval;
}

export interface ProtocolCurves {
  /** The (fold, seed) runs the points are over. */
  pairs: { fold: number; seed: number }[];
  curves: { name: string; trainedOn: string; occlusions: string[] }[];
  points: CurvePoint[];
  /** (e) − (b) and (e) − (c) at every occlusion of every curve, paired. */
  claims: CurveClaim[];
  resamples: number;
}

/**
 * The paired differences under the curves: the paper's Fig. 3 claim (its student above
 * ME-GraphAU on the occluded faces, (b), most at high ratios) and the student against
 * reconstruct-then-detect (c).
 */
export const CURVE_CLAIMS: readonly [string, string][] = [
  ["(e)", "(b)"],
  ["(e)", "(c)"],
];

const removedOf = (occlusion: string) => removedPercent(occlusion) ?? NaN;

/** The curves of every evaluation that has them, pooled over folds and seeds; null when none has. */
export function aggregateCurves(files: ProtocolEvalFile[], { resamples = 2000, seed = 0 }: { resamples?: number; seed?: number } = {}): ProtocolCurves | null {
  const withCurves = files.filter((f) => (f.curves?.length ?? 0) > 0);
  if (withCurves.length === 0) return null;
  const names = [...new Set(withCurves.flatMap((f) => f.curves!.map((r) => r.curve)))];
  const order = (name: string) => {
    const k = PROTOCOL_CURVES.findIndex((c) => c.name === name);
    return k < 0 ? PROTOCOL_CURVES.length : k;
  };
  names.sort((x, y) => order(x) - order(y) || x.localeCompare(y));
  const curves = names.map((name) => {
    const rows = withCurves.flatMap((f) => f.curves!.filter((r) => r.curve === name));
    const occlusions = [...new Set(rows.map((r) => r.occlusion))].sort((x, y) => removedOf(x) - removedOf(y));
    const trainedOn = PROTOCOL_CURVES.find((c) => c.name === name)?.trainedOn ?? "";
    return { name, trainedOn, occlusions };
  });
  const find = (f: ProtocolEvalFile, curve: string, condition: string, occlusion: string) => f.curves!.find((r) => r.curve === curve && r.condition === condition && r.occlusion === occlusion);
  const points: CurvePoint[] = [];
  const claims: CurveClaim[] = [];
  for (const c of curves) {
    for (const condition of CURVE_CONDITIONS) {
      for (const occlusion of c.occlusions) {
        const runs = withCurves.flatMap((f) => {
          const row = find(f, c.name, condition, occlusion);
          return row ? [{ fold: f.fold, counts: rowCounts(f, row, "curve point "), meanF1: row.meanF1 }] : [];
        });
        if (runs.length === 0) continue;
        const stats = meanSd(runs.map((r) => r.meanF1));
        points.push({ curve: c.name, condition, occlusion, removed: removedOf(occlusion), runs: runs.length, mean: stats.mean, sd: stats.sd, interval: bootstrapMeanF1(runs, { resamples, seed }) });
      }
    }
    for (const [a, b] of CURVE_CLAIMS) {
      for (const occlusion of c.occlusions) {
        const pairs = withCurves.flatMap((f) => {
          const ra = find(f, c.name, a, occlusion);
          const rb = find(f, c.name, b, occlusion);
          return ra && rb ? [{ fold: f.fold, a: rowCounts(f, ra, "curve point "), b: rowCounts(f, rb, "curve point ") }] : [];
        });
        if (pairs.length === 0) continue;
        claims.push({ curve: c.name, occlusion, removed: removedOf(occlusion), a, b, runs: pairs.length, interval: pairedBootstrapDiff(pairs, { resamples, seed }) });
      }
    }
  }
  return {
    pairs: withCurves.map((f) => ({ fold: f.fold, seed: f.seed })).sort((x, y) => x.fold - y.fold || x.seed - y.seed),
    curves,
    points,
    claims,
    resamples,
  };
}

const CURVE_MODELS: Record<string, string> = {
  "(b)": "clean detector, occluded",
  "(c)": "clean detector, composites",
  "(d)": "teacher, composites",
  "(e)": "student, occluded",
};
const CURVE_TITLES: Record<string, string> = {
  random: "Random patches (the paper's Fig. 3)",
  block: "One block (MaskAU's extension)",
};

const pct = (x: number) => (100 * x).toFixed(1);
const signed = (x: number) => (x >= 0 ? "+" : "−") + pct(Math.abs(x));

/**
 * The curves as markdown: per curve mean F1 with its interval at each point, and the paired
 * differences under it; with `paperPoint` (the paper's Fig. 3 is on BP4D) the one value of the
 * figure that the paper's text gives.
 */
export function curvesMarkdown(r: ProtocolCurves, { command, paperPoint }: { command: string; paperPoint: boolean }): string {
  const runs = pairsPhrase(r.pairs);
  const lines = [
    `Mean F1 (%) over ${runs} at each share of the face removed, with the subject-bootstrap 95% interval of the mean in brackets (${r.resamples} resamples of each fold's test subjects, shared by the seeds of a fold); the teacher and student of a curve are those trained at its occlusion, every model sees the same faces and masks. Rebuilt by \`${command}\`.`,
  ];
  for (const c of r.curves) {
    const cols = c.occlusions.map((o) => `${removedOf(o).toFixed(0)}%`);
    lines.push("", `${CURVE_TITLES[c.name] ?? c.name}${c.trainedOn ? `, teacher and student trained at ${c.trainedOn}` : ""}:`, "", `| model | ${cols.join(" | ")} |`, `|---|${cols.map(() => "---:").join("|")}|`);
    for (const condition of CURVE_CONDITIONS) {
      const cells = c.occlusions.map((o) => {
        const p = r.points.find((q) => q.curve === c.name && q.condition === condition && q.occlusion === o);
        return p ? `${pct(p.mean)} [${pct(p.interval.lo)}, ${pct(p.interval.hi)}]` : "";
      });
      if (cells.every((x) => x === "")) continue;
      lines.push(`| ${condition} ${CURVE_MODELS[condition]} | ${cells.join(" | ")} |`);
    }
    for (const [a, b] of CURVE_CLAIMS) {
      const cells = c.occlusions.map((o) => {
        const d = r.claims.find((q) => q.curve === c.name && q.a === a && q.b === b && q.occlusion === o);
        return d ? `${signed(d.interval.estimate)} [${signed(d.interval.lo)}, ${signed(d.interval.hi)}]` : "";
      });
      if (cells.every((x) => x === "")) continue;
      lines.push(`| ${a} − ${b} | ${cells.join(" | ")} |`);
    }
    const paper: Record<string, number> = PAPER_FIG3.student;
    if (paperPoint && c.occlusions.some((o) => o in paper)) lines.push(`| paper: (e) student (its text gives this point only) | ${c.occlusions.map((o) => (o in paper ? paper[o].toFixed(1) : "")).join(" | ")} |`);
  }
  return lines.join("\n");
}
