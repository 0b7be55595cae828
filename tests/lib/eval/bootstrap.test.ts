import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/lib/data/prng.js";
import { bootstrapMeanF1, equivalence, meanSd, pairedBootstrapDiff, subjectCounts, weightedF1, type SubjectCounts } from "../../../src/lib/eval/bootstrap.js";
import { AuConfusion } from "../../../src/lib/eval/f1.js";

const AUS = [1, 2, 4];

/** Random faces of `subjects` subjects: labels, the subject of each frame, and a model whose probabilities agree with the labels with probability `skill`. */
function faces(seed: number, subjects: number, perSubject: number) {
  const rng = new Rng(seed);
  const n = subjects * perSubject;
  const labels = new Uint8Array(n * AUS.length).map(() => (rng.chance(0.3) ? 1 : 0));
  const subjectOf = Array.from({ length: n }, (_, f) => `S${String(Math.floor(f / perSubject)).padStart(2, "0")}`);
  const model = (skill: number, mseed: number) => {
    const r = new Rng(mseed);
    return Float32Array.from(labels, (y) => (r.chance(skill) ? (y ? 0.8 : 0.2) : y ? 0.2 : 0.8));
  };
  return { labels, subjectOf, model };
}

describe("subjectCounts and weightedF1", () => {
  it("sum to the official counts and F1 when every subject has weight 1", () => {
    const { labels, subjectOf, model } = faces(1, 6, 20);
    const probs = model(0.8, 2);
    const c = subjectCounts(probs, labels, subjectOf, AUS);
    const official = new AuConfusion(AUS.length).add(probs, labels);
    expect(c.subjects).toHaveLength(6);
    const summed = AUS.map((_, a) => [0, 1, 2, 3].map((k) => c.subjects.reduce((s, _, i) => s + c.counts[(i * AUS.length + a) * 4 + k], 0)));
    expect(summed).toEqual(official.table());
    const w = weightedF1(c);
    expect(w.meanF1).toBeCloseTo(official.scores().meanF1, 12);
  });

  it("weights a subject drawn twice as its frames counted twice", () => {
    const { labels, subjectOf, model } = faces(3, 4, 15);
    const probs = model(0.7, 4);
    const c = subjectCounts(probs, labels, subjectOf, AUS);
    // Draw: subject 0 twice, subject 2 once, subjects 1 and 3 not at all.
    const weights = [2, 0, 1, 0];
    const conf = new AuConfusion(AUS.length);
    for (const [s, w] of weights.entries()) {
      for (let k = 0; k < w; k++) {
        const rows = subjectOf.flatMap((name, f) => (name === c.subjects[s] ? [f] : []));
        conf.add(rows.flatMap((f) => Array.from(probs.subarray(f * 3, f * 3 + 3))), rows.flatMap((f) => Array.from(labels.subarray(f * 3, f * 3 + 3))));
      }
    }
    expect(weightedF1(c, weights).meanF1).toBeCloseTo(conf.scores().meanF1, 12);
  });

  it("rejects labels that are not 0 or 1 and mismatched lengths", () => {
    expect(() => subjectCounts([0.5, 0.5, 0.5], [0, 2, 1], ["a"], AUS)).toThrow(/not 0 or 1/);
    expect(() => subjectCounts([0.5], [0, 1, 1], ["a"], AUS)).toThrow(/need 3 probabilities/);
  });
});

describe("subject bootstrap", () => {
  it("is deterministic for a seed and brackets the estimate", () => {
    const { labels, subjectOf, model } = faces(5, 14, 30);
    const counts = subjectCounts(model(0.75, 6), labels, subjectOf, AUS);
    const a = bootstrapMeanF1([{ fold: 1, counts }], { seed: 7, resamples: 500 });
    const b = bootstrapMeanF1([{ fold: 1, counts }], { seed: 7, resamples: 500 });
    const c = bootstrapMeanF1([{ fold: 1, counts }], { seed: 8, resamples: 500 });
    expect(a).toEqual(b);
    expect(a.lo).not.toBe(c.lo);
    expect(a.lo).toBeLessThan(a.estimate);
    expect(a.hi).toBeGreaterThan(a.estimate);
    expect(a.sd).toBeGreaterThan(0);
  });

  it("gives a narrower interval with more subjects", () => {
    const few = faces(9, 5, 40);
    const many = faces(9, 40, 40);
    const width = (f: ReturnType<typeof faces>) => {
      const i = bootstrapMeanF1([{ fold: 1, counts: subjectCounts(f.model(0.75, 10), f.labels, f.subjectOf, AUS) }], { resamples: 400 });
      return i.hi - i.lo;
    };
    expect(width(many)).toBeLessThan(width(few) / 1.5);
  });

  it("pairs the draws: a model against itself differs by exactly 0, a better model by an interval above 0", () => {
    const { labels, subjectOf, model } = faces(11, 12, 40);
    const weak = subjectCounts(model(0.6, 12), labels, subjectOf, AUS);
    const strong = subjectCounts(model(0.9, 13), labels, subjectOf, AUS);
    const same = pairedBootstrapDiff([{ fold: 1, a: weak, b: weak }], { resamples: 200 });
    expect([same.estimate, same.lo, same.hi, same.sd]).toEqual([0, 0, 0, 0]);
    const diff = pairedBootstrapDiff([{ fold: 1, a: strong, b: weak }], { resamples: 500 });
    expect(diff.estimate).toBeCloseTo(weightedF1(strong).meanF1 - weightedF1(weak).meanF1, 12);
    expect(diff.lo).toBeGreaterThan(0);
  });

  it("pools runs: the estimate is the mean over runs, and seeds of a fold share the draw", () => {
    const f1 = faces(21, 8, 30);
    const f2 = faces(22, 9, 30);
    const runs = [
      { fold: 1, a: subjectCounts(f1.model(0.8, 1), f1.labels, f1.subjectOf, AUS), b: subjectCounts(f1.model(0.7, 2), f1.labels, f1.subjectOf, AUS) },
      { fold: 1, a: subjectCounts(f1.model(0.8, 3), f1.labels, f1.subjectOf, AUS), b: subjectCounts(f1.model(0.7, 4), f1.labels, f1.subjectOf, AUS) },
      { fold: 2, a: subjectCounts(f2.model(0.8, 5), f2.labels, f2.subjectOf, AUS), b: subjectCounts(f2.model(0.7, 6), f2.labels, f2.subjectOf, AUS) },
    ];
    const pooled = pairedBootstrapDiff(runs, { resamples: 300 });
    const each = runs.map((r) => weightedF1(r.a).meanF1 - weightedF1(r.b).meanF1);
    expect(pooled.estimate).toBeCloseTo(each.reduce((x, y) => x + y, 0) / 3, 12);
    // Two seeds of fold 1 scored on different subjects cannot share a draw.
    const other: SubjectCounts = subjectCounts(f2.model(0.8, 7), f2.labels, f2.subjectOf, AUS);
    expect(() => pairedBootstrapDiff([runs[0], { fold: 1, a: other, b: other }])).toThrow(/different subjects/);
    expect(() => pairedBootstrapDiff([{ fold: 1, a: runs[0].a, b: other }])).toThrow(/same faces/);
  });
});

describe("equivalence and meanSd", () => {
  it("calls two copies of a model equivalent and a much better model not equivalent", () => {
    const { labels, subjectOf, model } = faces(31, 20, 40);
    const m = subjectCounts(model(0.7, 1), labels, subjectOf, AUS);
    expect(equivalence([{ fold: 1, a: m, b: m }], 0.02, { resamples: 200 }).verdict).toBe("equivalent");
    const better = subjectCounts(model(0.95, 2), labels, subjectOf, AUS);
    const e = equivalence([{ fold: 1, a: better, b: m }], 0.02, { resamples: 400 });
    expect(e.verdict).toBe("not equivalent");
    expect(e.ci90.hi - e.ci90.lo).toBeLessThan(e.ci95.hi - e.ci95.lo);
    expect(() => equivalence([{ fold: 1, a: m, b: m }], 0)).toThrow(/margin/);
  });

  it("gives the mean, sample SD and t interval", () => {
    const r = meanSd([1, 2, 3, 4]);
    expect(r.mean).toBe(2.5);
    expect(r.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(r.hi - r.mean).toBeCloseTo((3.182 * r.sd) / 2, 10);
    expect(meanSd([5]).sd).toBe(0);
    expect(() => meanSd([])).toThrow(/no values/);
  });
});
