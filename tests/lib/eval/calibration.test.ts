import { describe, expect, it } from "vitest";
import { aucRoc, bestThresholds, f1AtThresholds, positiveRates, THRESHOLD_GRID } from "../../../src/lib/eval/calibration.js";
import { AuConfusion } from "../../../src/lib/eval/f1.js";
import { Rng } from "../../../src/lib/data/prng.js";

/** AUC by counting every positive-negative pair (ties half): the definition, O(P x N). */
function pairwiseAuc(p: number[], y: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < p.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < p.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      wins += p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe("aucRoc", () => {
  it("is 1 for a perfect ranking, 0 for a reversed one, 0.5 when every probability ties, NaN without negatives", () => {
    const y = [0, 0, 1, 1];
    expect(aucRoc([0.1, 0.2, 0.8, 0.9], y, 1, 0)).toBe(1);
    expect(aucRoc([0.9, 0.8, 0.2, 0.1], y, 1, 0)).toBe(0);
    expect(aucRoc([0.5, 0.5, 0.5, 0.5], y, 1, 0)).toBe(0.5);
    expect(aucRoc([0.1, 0.2], [1, 1], 1, 0)).toBeNaN();
  });

  it("equals the pairwise count on random data with ties, per AU of interleaved rows", () => {
    const rng = new Rng(3);
    const n = 3;
    const faces = 400;
    // Probabilities on a coarse grid, so that many tie; AU 1's labels depend on them.
    const probs = Array.from({ length: faces * n }, () => Math.round(rng.next() * 20) / 20);
    const labels = probs.map((p, k) => (k % n === 1 ? (rng.next() < p ? 1 : 0) : rng.next() < 0.3 ? 1 : 0));
    for (let au = 0; au < n; au++) {
      const p = probs.filter((_, k) => k % n === au);
      const y = labels.filter((_, k) => k % n === au);
      expect(aucRoc(probs, labels, n, au)).toBeCloseTo(pairwiseAuc(p, y), 12);
    }
    expect(aucRoc(probs, labels, n, 1)).toBeGreaterThan(0.7);
  });

  it("rejects rows that do not fit and an AU out of range", () => {
    expect(() => aucRoc([0.1, 0.2, 0.3], [0, 1, 0], 2, 0)).toThrow(/not a whole number of 2-AU rows/);
    expect(() => aucRoc([0.1, 0.2], [0, 1], 1, 1)).toThrow(/AU index 1 is outside 0..0/);
  });
});

describe("thresholds", () => {
  it("F1 at 0.5 is the official confusion's F1; the best threshold of the grid beats or equals it on the same faces", () => {
    const rng = new Rng(5);
    const n = 4;
    const probs = Array.from({ length: 300 * n }, () => rng.next());
    // Labels whose probabilities run low: the best threshold is below 0.5.
    const labels = probs.map((p) => (rng.next() < Math.min(1, p * 1.8) && p > 0.2 ? 1 : 0));
    const at05 = f1AtThresholds(probs, labels, Array(n).fill(0.5));
    expect(at05).toEqual(new AuConfusion(n).add(probs, labels).scores().f1);
    const best = bestThresholds(probs, labels, n);
    const atBest = f1AtThresholds(probs, labels, best);
    for (let au = 0; au < n; au++) {
      expect(THRESHOLD_GRID).toContain(best[au]);
      expect(atBest[au]).toBeGreaterThanOrEqual(at05[au]);
    }
    expect(Math.max(...best)).toBeLessThan(0.5);
  });

  it("counts the faces predicted positive at 0.5 and those labelled positive", () => {
    expect(positiveRates([0.6, 0.1, 0.4, 0.5], [1, 0, 1, 1], 2)).toEqual({ predicted: [0.5, 0.5], labelled: [1, 0.5] });
  });
});
