// Fig. 3 as data: the shipped points are well formed and turn into one series per model.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkFig3, fig3Series, removedPercent } from "../../../src/lib/eval/fig3.js";

describe("fig3.json", () => {
  const file = checkFig3(JSON.parse(readFileSync("src/data/fig3.json", "utf8")), "src/data/fig3.json");

  it("holds every model at every occlusion, each mean F1 the mean of its per-AU F1", () => {
    for (const c of ["(b)", "(c)", "(d)", "(e)"]) {
      expect(file.points.filter((p) => p.condition === c).map((p) => p.occlusion), c).toEqual(file.occlusions);
    }
    for (const p of file.points) {
      expect(p.f1.length).toBe(file.aus.length);
      expect(p.meanF1).toBeCloseTo(p.f1.reduce((a, v) => a + v, 0) / p.f1.length, 12);
    }
  });

  it("becomes rows of % removed and mean F1 (%)", () => {
    const rows = fig3Series(file);
    expect(rows.length).toBe(file.points.length);
    expect(rows.find((r) => r.condition === "(e)" && r.occlusion === "random:0.7")!.removed).toBeCloseTo(70, 9);
    expect(removedPercent("block:0.3")).toBeCloseTo(30, 9);
    expect(removedPercent("none")).toBeNull();
  });

  it("refuses a file that is not Fig. 3, naming what is missing", () => {
    expect(() => checkFig3({ points: [] }, "x.json")).toThrow(/x\.json: needs occlusions, aus and points/);
    expect(() => checkFig3({ occlusions: [], aus: [], points: [{ condition: "(b)", occlusion: "random:0.5", meanF1: 2 }] })).toThrow(/mean F1 in \[0, 1\]/);
  });
});
