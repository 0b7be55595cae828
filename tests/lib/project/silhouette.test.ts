// Silhouette scores against hand-computed examples (scikit-learn's definition: Euclidean
// distance, s = 0 for a point alone in its cluster, mean over all points).
import { describe, expect, it } from "vitest";
import { silhouette, silhouetteByAu, silhouetteByIdentity } from "../../../src/lib/project/silhouette.js";

describe("silhouette", () => {
  it("two clusters on a line: A = {0, 1}, B = {4, 6}", () => {
    // 0: a = 1, b = (4 + 6) / 2 = 5, s = 4/5.  1: a = 1, b = (3 + 5) / 2 = 4, s = 3/4.
    // 4: a = 2, b = (4 + 3) / 2 = 3.5, s = 1.5/3.5 = 3/7.  6: a = 2, b = (6 + 5) / 2 = 5.5, s = 3.5/5.5 = 7/11.
    const r = silhouette([0, 1, 4, 6], 4, 1, [0, 0, 1, 1]);
    expect(r.clusters).toBe(2);
    expect(Array.from(r.perPoint)).toEqual([4 / 5, 3 / 4, 3 / 7, 7 / 11].map((v) => expect.closeTo(v, 14)));
    expect(r.score).toBeCloseTo((4 / 5 + 3 / 4 + 3 / 7 + 7 / 11) / 4, 14);
  });

  it("the nearest other cluster counts, and a point alone scores 0 but is averaged in", () => {
    // C = {10} added: 6 is now nearer C (mean 4) than A (5.5): s = (4 - 2) / 4 = 1/2; 10 scores 0.
    const r = silhouette([0, 1, 4, 6, 10], 5, 1, [7, 7, 3, 3, 9]);
    expect(r.clusters).toBe(3);
    expect(Array.from(r.perPoint)).toEqual([4 / 5, 3 / 4, 3 / 7, 1 / 2, 0].map((v) => expect.closeTo(v, 14)));
    expect(r.score).toBeCloseTo((4 / 5 + 3 / 4 + 3 / 7 + 1 / 2) / 5, 14);
  });

  it("uses the Euclidean distance in d dimensions", () => {
    // A = {(0,0), (3,4)}: a = 5 for both. B = {(0,8), (0,9)}.
    // (0,0): b = (8 + 9) / 2 = 8.5, s = 3.5/8.5.  (3,4): b = (5 + sqrt(34)) / 2.
    // (0,8): a = 1, b = (8 + 5) / 2 = 6.5, s = 5.5/6.5.  (0,9): a = 1, b = (9 + sqrt(34)) / 2.
    const pts = [0, 0, 3, 4, 0, 8, 0, 9];
    const r = silhouette(pts, 4, 2, [0, 0, 1, 1]);
    const b1 = (5 + Math.sqrt(34)) / 2;
    const b3 = (9 + Math.sqrt(34)) / 2;
    const expected = [3.5 / 8.5, (b1 - 5) / b1, 5.5 / 6.5, (b3 - 1) / b3];
    expect(Array.from(r.perPoint)).toEqual(expected.map((v) => expect.closeTo(v, 14)));
    expect(r.score).toBeCloseTo(expected.reduce((a, b) => a + b) / 4, 14);
  });

  it("is NaN with one cluster, negative for a swapped labelling, and checks its input", () => {
    expect(silhouette([0, 1, 2], 3, 1, [1, 1, 1]).score).toBeNaN();
    // Labels that pair far points: every point is nearer the other cluster.
    expect(silhouette([0, 1, 10, 11], 4, 1, [0, 1, 0, 1]).score).toBeLessThan(0);
    expect(() => silhouette([0, 1], 2, 2, [0, 1])).toThrow(/n x d/);
    expect(() => silhouette([0, 1], 2, 1, [0])).toThrow(/labels/);
    expect(() => silhouette([0, 1], 2, 1, [0, 0.5])).toThrow(/whole numbers/);
  });
});

describe("silhouetteByAu and silhouetteByIdentity", () => {
  // The first example laid out in 2-D (y = 0), with two AUs and subjects.
  const pts = [0, 0, 1, 0, 4, 0, 6, 0];
  const first = (4 / 5 + 3 / 4 + 3 / 7 + 7 / 11) / 4;

  it("splits the points by each AU's state", () => {
    // AU 0 present on the last two faces (the clusters above); AU 1 on all of them (one cluster: NaN).
    const labels = [0, 1, 0, 1, 1, 1, 1, 1];
    const scores = silhouetteByAu(pts, 4, 2, labels, 2);
    expect(scores[0]).toBeCloseTo(first, 14);
    expect(scores[1]).toBeNaN();
    expect(() => silhouetteByAu(pts, 4, 2, labels, 3)).toThrow(/AUs/);
  });

  it("groups the points by identity", () => {
    expect(silhouetteByIdentity(pts, 4, 2, ["F001", "F001", "M002", "M002"])).toBeCloseTo(first, 14);
  });
});
