// The protocol's evaluation of one fold and seed (`maskau reproduce paper`): every model
// scored on the fold's test subjects with per-subject confusion counts, for the tables'
// conditions ((a)-(f) at the protocol's occlusions) and for Fig. 3's curves, written as one
// file that the ledger takes as it is. Node only (reads checkpoints, writes the file).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { subjectCounts } from "../eval/bootstrap.js";
import type { InputKind } from "../eval/conditions.js";
import { removedPercent } from "../eval/fig3.js";
import type { SweepRow } from "../eval/sweep.js";
import { gatherLabels } from "../data/frames.js";
import { foldSplit } from "../data/folds.js";
import { loadCheckpointModel } from "../registry.js";
import { sha256File } from "../records/node.js";
import { evaluateDetectorOn, loadMaeFile, type LoadedData, type Progress } from "../runs/node.js";
import type { ProtocolEvalFile, ProtocolEvalRow } from "./aggregate.js";
import { CURVE_CONDITIONS, curveJobs, curveKey, type CurveJob, type ProtocolCurveRow } from "./curves.js";
import { sameModelAs, type LedgerRun } from "./ledger-node.js";
import { PROTOCOL_CURVES, type PlannedRun, type ProtocolConfig } from "./plan.js";

/** What each role is scored on: condition label, input, and which occlusion. */
function conditionsOf(run: PlannedRun, occlusions: string[]): { condition: string; input: InputKind; occlusion: string }[] {
  switch (run.role) {
    case "clean":
      return [{ condition: "(a)", input: "clean", occlusion: "none" }, ...occlusions.flatMap((o) => [{ condition: "(b)", input: "occluded" as const, occlusion: o }, { condition: "(c)", input: "composite" as const, occlusion: o }])];
    case "teacher1":
      return [{ condition: "(d1)", input: "composite", occlusion: run.occlusion! }];
    case "teacher":
      return [{ condition: "(d)", input: "composite", occlusion: run.occlusion! }];
    case "student":
      return [{ condition: "(e)", input: "occluded", occlusion: run.occlusion! }];
    case "student-a0":
      return [{ condition: "(e0)", input: "occluded", occlusion: run.occlusion! }];
    case "ablation":
      return [{ condition: `(e:${run.ablation})`, input: "occluded", occlusion: run.occlusion! }];
    case "control1":
      return [{ condition: "(f1)", input: "occluded", occlusion: run.occlusion! }];
    case "control":
      return [{ condition: "(f)", input: "occluded", occlusion: run.occlusion! }];
    default:
      return [];
  }
}

/** One fold and seed of a protocol to evaluate: its MAE, its other runs, and where things are. */
export interface FoldSeedEvaluation {
  cfg: ProtocolConfig;
  fold: number;
  seed: number;
  maeRun: PlannedRun;
  runs: PlannedRun[];
  /** The protocol's folder (checkpoints, and evals/ where the evaluation is written). */
  dir: string;
  /** The ledger whose evaluation of this fold and seed is the earlier one when the folder has none. */
  ledger: string;
  data: LoadedData;
  /** The run log of this invocation: the SHA-256 of each checkpoint. */
  logs: LedgerRun[];
  /** A progress bar per phase (composites, scoring). */
  progress?: Progress & { stop(): void };
}

/**
 * Scores every model of a fold and seed on its test subjects with per-subject confusion
 * counts (the conditions of the tables and Fig. 3's points) and writes the evaluation to
 * `<dir>/evals/fold<F>-seed<S>.json`. A model whose checkpoint is unchanged since an earlier
 * evaluation keeps its rows; `reused` says nothing was scored.
 */
export async function evaluateFoldSeed({ cfg, fold, seed, maeRun, runs, dir, ledger, data, logs, progress }: FoldSeedEvaluation): Promise<ProtocolEvalFile & { reused?: boolean }> {
  const { occlusions, fill } = cfg;
  const path = join(dir, `evals/fold${fold}-seed${seed}.json`);
  const hashOf = (id: string) => logs.find((l) => l.id === id)?.sha256 ?? "";
  const scored: Record<string, string> = Object.fromEntries([maeRun, ...runs].map((r) => [r.id, hashOf(r.id)]));
  const ds = data.dataset;
  const { test } = foldSplit(ds, fold - 1);
  const labels = gatherLabels(ds, test);
  const subjectOf = Array.from(test, (f) => ds.subjects[ds.subject[f]]);
  const subjects = [...new Set(subjectOf)].sort();
  // Rows of an earlier evaluation (this folder's, else the ledger's) are kept for every
  // checkpoint that is unchanged, with the same MAE behind the composites. That includes runs
  // outside this invocation's plan: one whose checkpoint is on disk with the same SHA-256, and
  // one whose checkpoint is gone (another machine trained it; the ledger holds its record).
  // So a protocol completed piece by piece evaluates each model once.
  const rows: ProtocolEvalRow[] = [];
  const curveRows: ProtocolCurveRow[] = [];
  const kept = new Set<string>();
  const earlier = [path, join(ledger, "evals", `fold${fold}-seed${seed}.json`)].find((p) => existsSync(p));
  if (earlier) {
    const old = JSON.parse(readFileSync(earlier, "utf8")) as ProtocolEvalFile;
    // The same model: the same file, or one trained again to the weights the ledger names.
    const sameModel = (id: string, fileSha: string) => sameModelAs(ledger, dir, id, fileSha, old.checkpoints[id]);
    const comparable = old.fill === fill && old.aus.join() === ds.aus.join() && old.subjects.join() === subjects.join() && sameModel(maeRun.id, scored[maeRun.id]);
    for (const [id, sha] of comparable ? Object.entries(old.checkpoints) : []) {
      if (id === maeRun.id) continue;
      const onDisk = join(dir, `${id}.safetensors`);
      const current = id in scored ? scored[id] : existsSync(onDisk) ? sha256File(onDisk) : sha;
      if (!sameModel(id, current)) continue;
      scored[id] = sha;
      kept.add(id);
      rows.push(...old.rows.filter((r) => r.run === id));
      curveRows.push(...(old.curves ?? []).filter((r) => r.run === id));
    }
  }
  const pending = runs.filter((r) => !kept.has(r.id));
  const have = new Set(curveRows.map(curveKey));
  const curvesToDo = curveJobs(cfg.curves, runs).filter((j) => !have.has(curveKey({ ...j, run: j.run.id })));
  const toLoad = runs.filter((r) => pending.includes(r) || curvesToDo.some((j) => j.run === r));
  const file = (reused?: boolean): ProtocolEvalFile & { reused?: boolean } => ({ fold, seed, fill, aus: ds.aus.slice(), subjects, checkpoints: scored, rows, curves: sortCurveRows(curveRows), ...(reused ? { reused } : {}) });
  if (toLoad.length === 0) return file(true);
  const mae = loadMaeFile(join(dir, maeRun.out));
  const row = (condition: string, run: PlannedRun, r: SweepRow): ProtocolEvalRow => ({
    condition,
    role: run.role,
    run: run.id,
    input: r.input,
    occlusion: r.occlusion,
    f1: r.evaluation.f1,
    meanF1: r.evaluation.meanF1,
    counts: Array.from(subjectCounts(r.evaluation.probs, labels, subjectOf, ds.aus).counts),
  });
  try {
    for (const run of toLoad) {
      const loaded = loadCheckpointModel(new Uint8Array(readFileSync(join(dir, run.out))), { source: run.out });
      if (loaded.family === "mae") throw new Error(`${run.out}: an MAE where ${run.role} was expected`);
      const score = async (input: InputKind, occ: string[]) => (await evaluateDetectorOn(loaded.detector, data, fold, [input], occ, { fill, mae, progress })).rows;
      try {
        if (pending.includes(run)) for (const c of conditionsOf(run, occlusions)) rows.push(row(c.condition, run, (await score(c.input, [c.occlusion]))[0]));
        // Fig. 3's points: a point the table above already scored is copied; the rest are scored per input, all occlusions at once.
        const jobs = curvesToDo.filter((j) => j.run === run);
        const fresh = new Map<string, ProtocolEvalRow>();
        const same = (j: CurveJob) => rows.find((r) => r.run === run.id && r.input === j.input && r.occlusion === j.occlusion);
        for (const input of [...new Set(jobs.map((j) => j.input))]) {
          const occ = [...new Set(jobs.filter((j) => j.input === input && !same(j)).map((j) => j.occlusion))];
          if (occ.length > 0) for (const r of await score(input, occ)) fresh.set(`${input} ${r.occlusion}`, row("", run, r));
        }
        for (const j of jobs) curveRows.push({ ...(same(j) ?? fresh.get(`${j.input} ${j.occlusion}`)!), condition: j.condition, curve: j.curve });
      } finally {
        loaded.detector.dispose();
      }
    }
  } finally {
    progress?.stop();
    mae.mae.dispose();
  }
  const out = file();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(out) + "\n");
  return out;
}

/** Curve points in a stable order: curve, condition, share removed. */
function sortCurveRows(rows: ProtocolCurveRow[]): ProtocolCurveRow[] {
  const curveOrder = (c: string) => PROTOCOL_CURVES.findIndex((x) => x.name === c);
  const removed = (o: string) => removedPercent(o) ?? NaN;
  return rows.sort((x, y) => curveOrder(x.curve) - curveOrder(y.curve) || CURVE_CONDITIONS.indexOf(x.condition as never) - CURVE_CONDITIONS.indexOf(y.condition as never) || removed(x.occlusion) - removed(y.occlusion));
}
