// Fig. 3 in the protocol: which scores a fold and seed's curves need, and how the points of
// several folds and seeds pool into means with subject-bootstrap intervals.
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/data/prng.js";
import { bootstrapMeanF1, subjectCounts, weightedF1 } from "../../../src/lib/eval/bootstrap.js";
import type { ProtocolEvalFile } from "../../../src/lib/protocol/aggregate.js";
import { aggregateCurves, curveJobs, curvesMarkdown, type ProtocolCurveRow } from "../../../src/lib/protocol/curves.js";
import { planProtocol, protocolConfig, PROTOCOL_CURVES } from "../../../src/lib/protocol/plan.js";

describe("curveJobs", () => {
  it("scores the clean detector, the teacher and the student of each curve's occlusion at every point", () => {
    const cfg = protocolConfig({ folds: [1], seeds: [0] });
    expect(cfg.curves.map((c) => [c.name, c.trainedOn, c.occlusions.length])).toEqual([
      ["random", "random:0.5", 7],
      ["block", "block:0.3", 5],
    ]);
    const runs = planProtocol(cfg).filter((r) => r.role !== "mae");
    const jobs = curveJobs(cfg.curves, runs);
    expect(jobs).toHaveLength(4 * (7 + 5));
    const at = (curve: string, condition: string) => jobs.filter((j) => j.curve === curve && j.condition === condition);
    expect(new Set(at("random", "(d)").map((j) => j.run.id))).toEqual(new Set(["fold1/seed0/teacher-random0.5"]));
    expect(new Set(at("block", "(e)").map((j) => j.run.id))).toEqual(new Set(["fold1/seed0/student-block0.3"]));
    expect(at("block", "(c)").map((j) => [j.run.id, j.input, j.occlusion])[4]).toEqual(["fold1/seed0/clean", "composite", "block:0.5"]);
    expect(at("random", "(b)").every((j) => j.input === "occluded")).toBe(true);
    // A curve whose teacher and student are not trained (only random:0.5 in this protocol) is left out.
    expect(protocolConfig({ occlusions: ["random:0.5"] }).curves.map((c) => c.name)).toEqual(["random"]);
    expect(curveJobs(cfg.curves, runs.filter((r) => r.role !== "student"))).toEqual([]);
  });
});

const AUS = [1, 2, 4];

/** A fold-seed evaluation whose curves have models of the given skill at each occlusion. */
function curveFile(fold: number, seed: number, skill: (condition: string, removed: number) => number): ProtocolEvalFile {
  const rng = new Rng(fold * 1000 + seed);
  const subjects = Array.from({ length: 6 }, (_, i) => `F${fold}S${i}`);
  const frames = 6 * 30;
  const subjectOf = Array.from({ length: frames }, (_, f) => subjects[f % 6]);
  const labels = Array.from({ length: frames * AUS.length }, () => (rng.chance(0.4) ? 1 : 0));
  const curves: ProtocolCurveRow[] = [];
  for (const occlusion of ["random:0.1", "random:0.4", "random:0.7"]) {
    for (const condition of ["(b)", "(c)", "(d)", "(e)"]) {
      const p = skill(condition, Number(occlusion.slice(7)));
      const probs = labels.map((y) => (rng.chance(p) ? y : 1 - y));
      const c = subjectCounts(probs, labels, subjectOf, AUS);
      const { f1, meanF1 } = weightedF1(c);
      curves.push({ curve: "random", condition, role: "clean", run: `fold${fold}/seed${seed}/m${condition}`, input: "occluded", occlusion, f1, meanF1, counts: Array.from(c.counts) });
    }
  }
  return { fold, seed, fill: "gray", aus: AUS, subjects: [...subjects].sort(), checkpoints: {}, rows: [], curves };
}

describe("aggregateCurves", () => {
  // (b) falls with the share removed, (c) falls less, the student is flat.
  const skill = (condition: string, removed: number) => ({ "(b)": 0.95 - removed / 2, "(c)": 0.95 - removed / 4, "(d)": 0.97 - removed / 4, "(e)": 0.85 })[condition]!;
  const files = [1, 2].flatMap((fold) => [0, 1].map((seed) => curveFile(fold, seed, skill)));
  const r = aggregateCurves(files, { resamples: 300 })!;

  it("pools each point over folds and seeds, its interval from the subjects of each fold", () => {
    expect(r.pairs).toEqual([{ fold: 1, seed: 0 }, { fold: 1, seed: 1 }, { fold: 2, seed: 0 }, { fold: 2, seed: 1 }]);
    expect(r.curves).toEqual([{ name: "random", trainedOn: "random:0.5", occlusions: ["random:0.1", "random:0.4", "random:0.7"] }]);
    expect(r.points).toHaveLength(4 * 3);
    const p = r.points.find((q) => q.condition === "(b)" && q.occlusion === "random:0.7")!;
    const rows = files.map((f) => f.curves!.find((x) => x.condition === "(b)" && x.occlusion === "random:0.7")!);
    expect(p.removed).toBeCloseTo(70, 12);
    expect(p.runs).toBe(4);
    expect(p.mean).toBeCloseTo(rows.reduce((s, x) => s + x.meanF1, 0) / 4, 12);
    const counts = files.map((f, i) => ({ fold: f.fold, counts: { subjects: f.subjects, aus: AUS, counts: Float64Array.from(rows[i].counts) } }));
    expect(p.interval).toEqual(bootstrapMeanF1(counts, { resamples: 300, seed: 0 }));
    expect(p.interval.lo).toBeLessThan(p.mean);
    expect(p.interval.hi).toBeGreaterThan(p.mean);
  });

  it("gives the student against reconstruct-then-detect a paired interval at every point: below at 10%, above at 70%", () => {
    const diff = (o: string) => r.claims.find((c) => c.a === "(e)" && c.b === "(c)" && c.occlusion === o)!.interval;
    expect(r.claims).toHaveLength(2 * 3);
    expect(diff("random:0.1").hi).toBeLessThan(0);
    expect(diff("random:0.7").lo).toBeGreaterThan(0);
    const md = curvesMarkdown(r, { command: "maskau reproduce paper --aggregate-only", paperPoint: true });
    expect(md).toContain("over 2 folds (1, 2) x 2 seeds (0, 1)");
    expect(md).toContain("| model | 10% | 40% | 70% |");
    expect(md).toMatch(/\| \(e\) − \(c\) \| −\d+\.\d \[−\d+\.\d, −\d+\.\d\] \| .* \| \+\d+\.\d \[\+\d+\.\d, \+\d+\.\d\] \|/);
    // The paper's text gives one point of its figure, at 70%; that column alone has it.
    expect(md).toContain("| paper: (e) student (its text gives this point only) |  |  | 55.8 |");
    // Not beside another dataset's curves (the paper's figure is on BP4D).
    expect(curvesMarkdown(r, { command: "maskau reproduce paper --aggregate-only", paperPoint: false })).not.toContain("paper:");
  });

  it("is null for evaluations made before the protocol scored curves, and names a point whose counts do not fit", () => {
    expect(aggregateCurves([{ ...files[0], curves: undefined }])).toBeNull();
    const bad = curveFile(1, 0, skill);
    bad.curves![0].counts = bad.curves![0].counts.slice(4);
    expect(() => aggregateCurves([bad])).toThrow(/fold 1 seed 0 curve point \(b\) random:0\.1: 68 counts, expected 72/);
    expect(PROTOCOL_CURVES[0].occlusions).toContain("random:0.7");
  });
});
