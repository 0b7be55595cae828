import { describe, expect, it } from "vitest";
import { runMetricsFixture } from "../../../src/lib/fixtures/metrics.js";
import { fixtureTensor } from "../../../src/lib/io/fixture.js";
import { AuConfusion, auScores, f1Score } from "../../../src/lib/eval/f1.js";
import { expectParity, loadFixture } from "../models/fixture-parity.js";

const fixture = loadFixture("megraphau_metrics");

describe("official ME-GraphAU F1 and accuracy", () => {
  it("matches megraphau_metrics (counts exact, F1 / accuracy / means)", async () => {
    const produced = await runMetricsFixture(fixture);
    expectParity(fixture, produced, "metrics");
    const full = fixture.sidecar.scalar_values_full_precision as { f1: number[]; acc: number[]; mean_f1: number; mean_acc: number };
    const f1 = Array.from(produced.get("output.f1")!.data);
    for (let i = 0; i < f1.length; i++) expect(f1[i]).toBeCloseTo(full.f1[i], 12);
    expect(produced.get("output.mean_f1")!.data[0]).toBeCloseTo(full.mean_f1, 12);
    expect(produced.get("output.mean_acc")!.data[0]).toBeCloseTo(full.mean_acc, 12);
  });

  it("accumulating over batches equals one pass over the whole set", () => {
    const pred = fixtureTensor(fixture, "input.pred");
    const labels = fixtureTensor(fixture, "input.labels");
    const n = pred.shape[1];
    const whole = new AuConfusion(n).add(pred.data, labels.data).table();
    const batched = new AuConfusion(n);
    for (let s = 0; s < pred.shape[0]; s += 7) batched.add(pred.data.subarray(s * n, (s + 7) * n), labels.data.subarray(s * n, (s + 7) * n));
    expect(batched.table()).toEqual(whole);
  });

  it("edge cases: threshold inclusive, no positives gives F1 0, labels must be 0/1", () => {
    const c = new AuConfusion(3);
    c.add([0.5, 0.49999997, 0.9, 0.1, 0.2, 0.1], [1, 1, 0, 0, 0, 0]);
    expect(c.table()).toEqual([
      [1, 0, 1, 0],
      [0, 0, 1, 1],
      [0, 1, 1, 0],
    ]);
    const s = c.scores();
    expect(s.f1).toEqual([1, 0, 0]);
    expect(s.acc).toEqual([1, 0.5, 0.5]);
    expect(s.meanF1).toBeCloseTo(1 / 3, 12);
    expect(f1Score({ tp: 0, fp: 0, tn: 5, fn: 0 })).toBe(0);
    expect(auScores([{ tp: 3, fp: 1, tn: 0, fn: 1 }]).f1[0]).toBeCloseTo(0.75, 12);
    expect(() => c.add([0.1, 0.2, 0.3], [0, 0.5, 1])).toThrow(/AU 1/);
    expect(() => c.add([0.1, 0.2], [0, 1])).toThrow(/3-AU rows/);
  });
});
