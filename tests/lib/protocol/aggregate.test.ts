import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/data/prng.js";
import { subjectCounts, weightedF1 } from "../../../src/lib/eval/bootstrap.js";
import { aggregateProtocol, PAPER_RESULTS, resultsMarkdown, type ProtocolEvalFile } from "../../../src/lib/protocol/aggregate.js";

const AUS = [1, 2];

/** An evaluation file of one fold and seed with models of the given skill per condition. */
function evalFile(fold: number, seed: number, skills: Record<string, number>): ProtocolEvalFile {
  const rng = new Rng(fold * 100 + seed);
  const subjects = Array.from({ length: 8 }, (_, i) => `F${fold}S${i}`);
  const frames = 8 * 25;
  const subjectOf = Array.from({ length: frames }, (_, f) => subjects[f % 8]);
  const labels = Array.from({ length: frames * 2 }, () => (rng.chance(0.4) ? 1 : 0));
  const rows = Object.entries(skills).map(([condition, skill]) => {
    const probs = labels.map((y) => (rng.chance(skill) ? y : 1 - y));
    const c = subjectCounts(probs, labels, subjectOf, AUS);
    const { f1, meanF1 } = weightedF1(c);
    return { condition, role: "clean" as const, run: `fold${fold}/seed${seed}/x`, input: "occluded", occlusion: "random:0.5", f1, meanF1, counts: Array.from(c.counts) };
  });
  return { fold, seed, fill: "gray", aus: AUS, subjects: subjects.slice().sort(), checkpoints: {}, rows };
}

describe("aggregateProtocol", () => {
  const files = [1, 2].flatMap((fold) => [0, 1].map((seed) => evalFile(fold, seed, { "(b)": 0.6, "(c)": 0.75, "(d)": 0.9, "(e)": 0.9, "(e0)": 0.7 })));
  const r = aggregateProtocol(files, { resamples: 300, margin: 0.05 });

  it("summarises each condition over the runs", () => {
    const c = r.conditions.find((x) => x.condition === "(c)")!;
    const values = files.map((f) => f.rows.find((x) => x.condition === "(c)")!.meanF1);
    expect(c.runs).toBe(4);
    expect(c.mean).toBeCloseTo(values.reduce((a, b) => a + b) / 4, 12);
    expect(c.lo).toBeLessThan(c.mean);
    expect(r.conditions.map((x) => x.condition)).toEqual(["(b)", "(c)", "(d)", "(e)", "(e0)"]);
    expect(r.folds).toEqual([1, 2]);
    expect(r.seeds).toEqual([0, 1]);
  });

  it("gives every claim a paired interval; a clearly better model holds, equal skills are equivalent", () => {
    const claim = (a: string, b: string) => r.claims.find((c) => c.a === a && c.b === b)!;
    expect(r.claims).toHaveLength(5);
    expect(claim("(c)", "(b)").interval.lo).toBeGreaterThan(0);
    expect(claim("(e)", "(e0)").interval.lo).toBeGreaterThan(0);
    expect(claim("(e)", "(d)").equivalence?.verdict).toBe("equivalent");
    const md = resultsMarkdown(r, { command: "maskau reproduce paper --quick" });
    expect(md).toContain("Rebuilt by `maskau reproduce paper --quick`");
    expect(md).toMatch(/\| \(c\) − \(b\) \| random:0\.5 \| .* \| 4 \| \+\d+\.\d \| \+\d+\.\d – \+\d+\.\d \| holds \(interval above 0\) \| 4 of 4 \(\+\d+\.\d – \+\d+\.\d\) \|/);
    expect(md).toMatch(/equivalent within ±5/);
  });

  it("keeps each run's own difference beside the pooled one", () => {
    const c = r.claims.find((x) => x.a === "(e)" && x.b === "(e0)")!;
    expect(c.perRun.map((p) => [p.fold, p.seed])).toEqual([[1, 0], [1, 1], [2, 0], [2, 1]]);
    const row = (f: ProtocolEvalFile, condition: string) => f.rows.find((x) => x.condition === condition)!.meanF1;
    c.perRun.forEach((p, i) => expect(p.estimate).toBeCloseTo(row(files[i], "(e)") - row(files[i], "(e0)"), 12));
    // Equal skills: the runs scatter around 0, and the column counts those above it.
    const eq = r.claims.find((x) => x.a === "(e)" && x.b === "(d)")!;
    const above = eq.perRun.filter((p) => p.estimate > 0).length;
    expect(above).toBeGreaterThan(0);
    expect(above).toBeLessThan(4);
    const md = resultsMarkdown(r, { command: "x" });
    expect(md).toContain(`| ${above} of 4 (−`);
  });

  it("puts the paper's figures of the dataset beside ours (DISFA: its Table 3)", () => {
    const md = resultsMarkdown(r, { command: "maskau reproduce paper --dataset disfa --aggregate-only", paper: PAPER_RESULTS.disfa, paperName: "DISFA" });
    expect(md).toContain("the paper's figure (full-size models on DISFA) beside it");
    expect(md).toMatch(/\| \(e\) student, occluded faces \| random:0\.5 \| 4 \| .* \| 61\.3 \|/);
    expect(md).toMatch(/\| \(e0\) .* \| — \|/);
  });

  it("rejects counts that do not fit the file's subjects and AUs", () => {
    const bad = evalFile(1, 0, { "(b)": 0.6, "(c)": 0.7 });
    bad.rows[0].counts = bad.rows[0].counts.slice(4);
    expect(() => aggregateProtocol([bad])).toThrow(/fold 1 seed 0 \(b\) random:0\.5: 60 counts, expected 64/);
    expect(() => aggregateProtocol([])).toThrow(/no evaluations/);
  });
});
