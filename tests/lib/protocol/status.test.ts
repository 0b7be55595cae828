// What the ledger already has of the protocol's plan: which folds and seeds it covers, which
// runs an invocation skips (and which it keeps because a run to train reads them), and the
// plan as `--plan` prints it.
import { describe, expect, it } from "vitest";
import type { ProtocolEvalFile } from "../../../src/lib/protocol/aggregate.js";
import { curveJobs, curveKey, type ProtocolCurveRow } from "../../../src/lib/protocol/curves.js";
import { planProtocol, protocolConfig, type PlannedRun } from "../../../src/lib/protocol/plan.js";
import { ledgerCoverage, planGroups, planReport, roleTimes, runsCoveredByLedger, type LocalState } from "../../../src/lib/protocol/status.js";

const cfg = protocolConfig({ folds: [1, 2], seeds: [0, 1] });
const plan = planProtocol(cfg);
const groups = planGroups(plan, cfg);

/** The ledger's evaluation of a fold and seed: every run of `runs` scored, and Fig. 3's points unless `curves` is false. */
function evaluation(fold: number, seed: number, runs: PlannedRun[], curves = true): ProtocolEvalFile {
  const group = groups.find((g) => g.fold === fold && g.seed === seed)!;
  const checkpoints = Object.fromEntries([group.maeRun, ...runs].map((r) => [r.id, "ab".repeat(32)]));
  const points: ProtocolCurveRow[] = curveJobs(cfg.curves, group.runs).map((j) => ({
    curve: j.curve, condition: j.condition, role: j.run.role, run: j.run.id, input: j.input, occlusion: j.occlusion, f1: [], meanF1: 0.5, counts: [],
  }));
  return { fold, seed, fill: "gray", aus: [1], subjects: ["S1"], checkpoints, rows: [], ...(curves ? { curves: points } : {}) };
}
const runsOf = (fold: number, seed: number) => groups.find((g) => g.fold === fold && g.seed === seed)!.runs;

describe("ledger coverage", () => {
  it("groups the plan by fold and seed, each with its fold's MAE", () => {
    expect(groups.map((g) => [g.fold, g.seed, g.maeRun.id, g.runs.length])).toEqual([
      [1, 0, "fold1/mae", 9], [1, 1, "fold1/mae", 9], [2, 0, "fold2/mae", 9], [2, 1, "fold2/mae", 9],
    ]);
  });

  it("tells complete, missing curves, partial and absent apart, counting what the evaluation has", () => {
    const evals = [evaluation(1, 0, runsOf(1, 0)), evaluation(1, 1, runsOf(1, 1), false), evaluation(2, 0, runsOf(2, 0).slice(0, 4))];
    const c = ledgerCoverage(groups, evals, cfg);
    expect(c.map((x) => x.state)).toEqual(["complete", "no-curves", "partial", "absent"]);
    expect(c.map((x) => [x.scored, x.total])).toEqual([[10, 10], [10, 10], [5, 10], [0, 10]]);
    expect(c.map((x) => [x.curves, x.curvePoints])).toEqual([[48, 48], [0, 48], [48, 48], [0, 48]]);
    // Covered runs need every curve point (the evaluation without curves covers nothing) and to be scored (the partial one covers its 4).
    expect(c.map((x) => x.covered.length)).toEqual([9, 0, 4, 0]);
  });

  it("skips the runs of what the ledger has, the MAE when its whole fold is, and keeps what a run to train reads", () => {
    const full = [evaluation(1, 0, runsOf(1, 0)), evaluation(1, 1, runsOf(1, 1))];
    const skipped = runsCoveredByLedger(plan, ledgerCoverage(groups, full, cfg));
    expect([...skipped].sort()).toEqual(["fold1/mae", ...runsOf(1, 0).map((r) => r.id), ...runsOf(1, 1).map((r) => r.id)].sort());
    // One fold-seed of fold 1 still to do: the fold's MAE is kept for it.
    const half = runsCoveredByLedger(plan, ledgerCoverage(groups, [full[0]], cfg));
    expect(half.has("fold1/mae")).toBe(false);
    expect(half.size).toBe(9);
    // Ablations read the random:0.5 teacher (and so its stage 1 and the clean detector): those are
    // kept, the rest of what the ledger scored is skipped.
    const withAblations = protocolConfig({ folds: [1], seeds: [0], ablations: ["random:0.5"] });
    const aPlan = planProtocol(withAblations);
    const aGroups = planGroups(aPlan, withAblations);
    const main = aGroups[0].runs.filter((r) => !["ablation", "control1", "control"].includes(r.role));
    const ev = { ...evaluation(1, 0, main), curves: curveJobs(withAblations.curves, aGroups[0].runs).map((j) => ({ curve: j.curve, condition: j.condition, role: j.run.role, run: j.run.id, input: j.input, occlusion: j.occlusion, f1: [], meanF1: 0.5, counts: [] })) };
    const aSkipped = runsCoveredByLedger(aPlan, ledgerCoverage(aGroups, [ev], withAblations));
    expect([...aSkipped].sort()).toEqual(["fold1/seed0/student-a0-block0.3", "fold1/seed0/student-a0-random0.5", "fold1/seed0/student-block0.3", "fold1/seed0/student-random0.5", "fold1/seed0/teacher-block0.3", "fold1/seed0/teacher1-block0.3"]);
    // Nothing in the ledger: nothing skipped.
    expect(runsCoveredByLedger(plan, ledgerCoverage(groups, [], cfg)).size).toBe(0);
    expect(new Set(curveJobs(cfg.curves, runsOf(1, 0)).map((j) => curveKey({ ...j, run: j.run.id }))).size).toBe(48);
  });
});

describe("the plan report", () => {
  it("lists per fold and seed what is left, with the ledger's median time per kind of run", () => {
    const coverage = ledgerCoverage(groups, [evaluation(1, 0, runsOf(1, 0))], cfg);
    const skipped = runsCoveredByLedger(plan, coverage);
    const local = new Map<string, LocalState>(plan.map((r) => [r.id, { kind: "missing" }]));
    local.set("fold1/mae", { kind: "finished" });
    local.set("fold1/seed1/clean", { kind: "partial", step: 500 });
    const logged = [
      { role: "student" as const, status: "trained", seconds: 1500 },
      { role: "student" as const, status: "trained", seconds: 1700 },
      { role: "student" as const, status: "reused", seconds: 1 },
      { role: "clean" as const, status: "trained", seconds: 120 },
    ];
    const times = roleTimes(plan, skipped, local, logged);
    const byRole = Object.fromEntries(times.map((t) => [t.role, t]));
    expect(byRole.student).toMatchObject({ toTrain: 6, medianSeconds: 1600, logged: 2 });
    expect(byRole.clean).toMatchObject({ toTrain: 3, medianSeconds: 120 });
    expect(byRole.mae).toMatchObject({ toTrain: 1, medianSeconds: null });
    const text = planReport(groups, coverage, skipped, local, times, { dir: "runs/paper/bp4d", ledger: "results/paper/bp4d", rerun: false });
    expect(text).toContain("fold 1: MAE here");
    expect(text).toContain("fold 1, seed 0: complete in the ledger (10 checkpoints scored, 48 curve points); skipped");
    expect(text).toContain("fold 1, seed 1: not in the ledger; 9 of 9 runs to train");
    expect(text).toContain("  fold1/seed1/clean (resumes at step 500 of 1500)");
    expect(text).toContain("fold 2: MAE to train\n  fold2/mae");
    expect(text).toContain("  student      6 x 27 min (median of 2)");
    expect(text).toMatch(/At least [\d.]+ h of training at the ledger's pace \(mae, teacher1, teacher, student-a0 not counted\)/);
    expect(text).toContain("9 runs already scored in the ledger are skipped (--rerun trains and evaluates them again).");
  });
});
