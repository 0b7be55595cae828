// What the ledger already holds of a protocol's plan, and so what an invocation need not
// train again. A run is covered when the ledger's evaluation of its fold and seed scored its
// checkpoint and has every point of Fig. 3's curves; a covered run is skipped unless a run
// still to be brought up to date reads its checkpoint (the ablations read the teachers), and
// a fold's MAE when every run of the fold is. This is what lets the protocol be completed
// piece by piece, on different machines: a checkpoint need not be here to count.
import type { ProtocolEvalFile } from "./aggregate.js";
import { curveJobs, curveKey } from "./curves.js";
import { median } from "../bench/timing.js";
import { withNeeds, type PlannedRun, type ProtocolConfig, type ProtocolRole } from "./plan.js";

/** A fold and seed of the plan: the runs evaluated together (the fold's MAE apart). */
export interface PlanGroup {
  fold: number;
  seed: number;
  maeRun: PlannedRun;
  runs: PlannedRun[];
}

/** The plan's folds and seeds, each with its MAE and its other runs (folds whose MAE is not in the plan have none). */
export function planGroups(plan: PlannedRun[], cfg: Pick<ProtocolConfig, "folds" | "seeds">): PlanGroup[] {
  return cfg.folds.flatMap((fold) => {
    const maeRun = plan.find((r) => r.id === `fold${fold}/mae`);
    if (!maeRun) return [];
    return cfg.seeds
      .map((seed) => ({ fold, seed, maeRun, runs: plan.filter((r) => r.fold === fold && r.seed === seed && r.role !== "mae") }))
      .filter((g) => g.runs.length > 0);
  });
}

/** How much of a fold and seed the ledger's evaluation covers. */
export interface GroupCoverage {
  fold: number;
  seed: number;
  /** complete: every run and curve point scored; no-curves: every run but some of Fig. 3's points missing; partial: some runs scored; absent: no evaluation. */
  state: "complete" | "no-curves" | "partial" | "absent";
  /** Runs of the plan (MAE included) that the ledger's evaluation scored, of `total`. */
  scored: number;
  total: number;
  /** Fig. 3's points the evaluation has, of the plan's `curvePoints`. */
  curves: number;
  curvePoints: number;
  /** Runs covered: scored, in an evaluation that has all of Fig. 3's points (none otherwise). */
  covered: string[];
}

const groupKey = (g: { fold: number; seed: number }) => `${g.fold}/${g.seed}`;

/** The ledger's coverage of each fold and seed of the plan. */
export function ledgerCoverage(groups: PlanGroup[], evals: ProtocolEvalFile[], cfg: Pick<ProtocolConfig, "curves">): GroupCoverage[] {
  const byKey = new Map(evals.map((e) => [groupKey(e), e]));
  return groups.map((g) => {
    const file = byKey.get(groupKey(g));
    const ids = [g.maeRun, ...g.runs].map((r) => r.id);
    const jobs = curveJobs(cfg.curves, g.runs).map((j) => curveKey({ ...j, run: j.run.id }));
    const have = new Set((file?.curves ?? []).map(curveKey));
    const scored = file ? ids.filter((id) => id in file.checkpoints).length : 0;
    const curves = jobs.filter((k) => have.has(k)).length;
    const state = !file ? "absent" : scored < ids.length ? "partial" : curves < jobs.length ? "no-curves" : "complete";
    const covered = file && curves === jobs.length ? g.runs.map((r) => r.id).filter((id) => id in file.checkpoints) : [];
    return { fold: g.fold, seed: g.seed, state, scored, total: ids.length, curves, curvePoints: jobs.length, covered };
  });
}

/**
 * Ids of the runs that need no training or evaluation: covered by the ledger (a fold's MAE:
 * when every run of that fold in the plan is), unless a run that is not skipped reads their
 * checkpoints.
 */
export function runsCoveredByLedger(plan: PlannedRun[], coverage: GroupCoverage[]): Set<string> {
  const done = new Set(coverage.flatMap((c) => c.covered));
  const covered = (r: PlannedRun) => (r.role === "mae" ? plan.every((x) => x.fold !== r.fold || x.role === "mae" || done.has(x.id)) : done.has(r.id));
  const keep = withNeeds(plan, plan.filter((r) => !covered(r)));
  return new Set(plan.filter((r) => !keep.has(r.id)).map((r) => r.id));
}

/** Where a run's checkpoint stands on this machine. */
export type LocalState = { kind: "finished" } | { kind: "partial"; step: number } | { kind: "shipped" } | { kind: "missing" };

/** Whether a run that is not skipped has to train here (no checkpoint, or one to resume; a copy of another run trains nothing). */
const toTrainHere = (r: PlannedRun, skipped: Set<string>, local: Map<string, LocalState>) =>
  !skipped.has(r.id) && !r.copyOf && ["missing", "partial"].includes(local.get(r.id)?.kind ?? "missing");

/** One kind of run's logged wall times (runs.json, runs trained or resumed). */
export interface RoleTimes {
  role: ProtocolRole;
  /** Runs of this kind still to train (missing or partial here, not skipped). */
  toTrain: number;
  /** Median logged wall time of a trained run of this kind, seconds (null: none logged). */
  medianSeconds: number | null;
  logged: number;
  /** The kind whose times stand in when none of this kind is logged (an ablation is a student, a control a detector). */
  asRole?: ProtocolRole;
}

/** Runs trained the way another kind is: their time until one of their own is logged. */
const LIKE: Partial<Record<ProtocolRole, ProtocolRole>> = { ablation: "student", control1: "teacher1", control: "teacher" };

/** Per kind of run: how many are left to train and how long the ledger says one took. */
export function roleTimes(plan: PlannedRun[], skipped: Set<string>, local: Map<string, LocalState>, logged: { role: ProtocolRole; status: string; seconds: number }[]): RoleTimes[] {
  const roles = [...new Set(plan.map((r) => r.role))];
  const timesOf = (role: ProtocolRole) => logged.filter((l) => l.role === role && (l.status === "trained" || l.status === "resumed")).map((l) => l.seconds);
  return roles.map((role) => {
    const toTrain = plan.filter((r) => r.role === role && toTrainHere(r, skipped, local)).length;
    const like = LIKE[role];
    const asRole = timesOf(role).length === 0 && like && timesOf(like).length > 0 ? like : undefined;
    const times = timesOf(asRole ?? role);
    return { role, toTrain, medianSeconds: times.length ? median(times) : null, logged: times.length, ...(asRole ? { asRole } : {}) };
  });
}

const minutes = (s: number) => (s >= 5400 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 60)} min`);

/** The plan as `maskau reproduce paper --plan` prints it: per fold and seed what the ledger has and what is left, then the runs left by kind with their logged times. */
export function planReport(
  groups: PlanGroup[],
  coverage: GroupCoverage[],
  skipped: Set<string>,
  local: Map<string, LocalState>,
  times: RoleTimes[],
  where: { dir: string; ledger: string; rerun: boolean },
): string {
  const lines: string[] = [];
  const toTrain = (r: PlannedRun) => toTrainHere(r, skipped, local);
  const named = (r: PlannedRun) => {
    const s = local.get(r.id);
    return `  ${r.id}${s?.kind === "partial" ? ` (resumes at step ${s.step} of ${r.spec.train.steps})` : ""}`;
  };
  for (const [i, g] of groups.entries()) {
    const c = coverage[i];
    if (i === 0 || groups[i - 1].fold !== g.fold) {
      const mae = g.maeRun;
      const state = skipped.has(mae.id) ? "not needed" : toTrain(mae) ? "to train" : local.get(mae.id)?.kind === "shipped" ? "shipped" : "here";
      lines.push(`fold ${g.fold}: MAE ${state}`);
      if (toTrain(mae)) lines.push(named(mae));
    }
    const ledger =
      c.state === "complete" ? `complete in the ledger (${c.scored} checkpoints scored${c.curvePoints ? `, ${c.curves} curve points` : ""})`
      : c.state === "no-curves" ? `in the ledger without ${c.curvePoints - c.curves} of Fig. 3's ${c.curvePoints} points`
      : c.state === "partial" ? `in the ledger in part (${c.scored} of ${c.total} checkpoints scored)`
      : "not in the ledger";
    const left = g.runs.filter((r) => !skipped.has(r.id));
    const todo = left.filter(toTrain);
    const verdict = left.length === 0 ? "skipped" : todo.length === 0 ? "checkpoints here, to evaluate" : `${todo.length} of ${left.length} runs to train`;
    lines.push(`fold ${g.fold}, seed ${g.seed}: ${ledger}; ${verdict}`);
    for (const r of todo) lines.push(named(r));
  }
  const total = times.reduce((sum, t) => sum + t.toTrain * (t.medianSeconds ?? 0), 0);
  const left = times.filter((t) => t.toTrain > 0);
  lines.push("");
  if (left.length === 0) lines.push("No run to train.");
  else {
    lines.push("Runs to train, with the median wall time the ledger logged for one of each kind:");
    for (const t of left) {
      const time = t.medianSeconds === null ? "(none logged yet)" : `${minutes(t.medianSeconds)} (median of ${t.logged}${t.asRole ? ` ${t.asRole} runs` : ""})`;
      lines.push(`  ${t.role.padEnd(10)} ${String(t.toTrain).padStart(3)} x ${time}`);
    }
    const unknown = left.filter((t) => t.medianSeconds === null).map((t) => t.role);
    if (unknown.length === left.length) lines.push("The ledger has logged no run of these kinds yet: no estimate of the time.");
    else lines.push(`${unknown.length ? "At least" : "About"} ${minutes(total)} of training at the ledger's pace${unknown.length ? ` (${unknown.join(", ")} not counted)` : ""}, plus the evaluations.`);
  }
  if (!where.rerun && skipped.size > 0) lines.push(`${skipped.size} runs already scored in the ledger are skipped (--rerun trains and evaluates them again).`);
  lines.push(`Checkpoints in ${where.dir}, ledger in ${where.ledger}.`);
  return lines.join("\n");
}
