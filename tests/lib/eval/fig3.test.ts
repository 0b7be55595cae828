// Fig. 3 as data: the shipped points are well formed and turn into one series per model.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkFig3, fig3Fills, fig3ForFill, fig3Series, removedPercent } from "../../../src/lib/eval/fig3.js";

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

describe("records of several fills", () => {
  const point = (condition: string, fill: "gray" | "black", meanF1: number) => ({ condition, model: "m", ckpt: "c", input: "occluded" as const, occlusion: "random:0.5", fill, f1: [meanF1], meanF1 });
  const record = checkFig3({
    command: "maskau reproduce fig3 --fill gray,black",
    dataset: {},
    fold: 1,
    fill: "gray",
    fills: ["gray", "black"],
    aus: [1],
    occlusions: ["random:0.5"],
    points: [point("(b)", "gray", 0.5), point("(b)", "black", 0.4)],
    paper: {},
  });

  it("cut to one fill, are a one-fill record of that fill's points; null for a fill they do not hold", () => {
    expect(fig3Fills(record)).toEqual(["gray", "black"]);
    const black = fig3ForFill(record, "black")!;
    expect(black.fill).toBe("black");
    expect(black.fills).toBeUndefined();
    expect(black.points).toEqual([{ condition: "(b)", model: "m", ckpt: "c", input: "occluded", occlusion: "random:0.5", f1: [0.4], meanF1: 0.4 }]);
    expect(fig3ForFill(record, "hand")).toBeNull();
    expect(record.points).toHaveLength(2); // the record itself is left as it was
  });

  it("leave a one-fill record as it is for its fill", () => {
    const one = checkFig3(JSON.parse(readFileSync("src/data/fig3.json", "utf8")));
    expect(fig3Fills(one)).toEqual(["gray"]);
    expect(fig3ForFill(one, "gray")).toBe(one);
    expect(fig3ForFill(one, "black")).toBeNull();
  });

  it("keep the composite points, which name no fill, for every fill", () => {
    const composite = { condition: "(c)", model: "m", ckpt: "c", input: "composite" as const, occlusion: "random:0.5", f1: [0.6], meanF1: 0.6 };
    const both = checkFig3({ ...record, points: [...record.points, composite] });
    for (const fill of ["gray", "black"] as const) expect(fig3ForFill(both, fill)!.points.map((p) => p.condition), fill).toEqual(["(b)", "(c)"]);
  });

  it("are refused when a point names a fill the record does not list, or an occluded point none", () => {
    expect(() => checkFig3({ ...record, points: [{ ...point("(b)", "gray", 0.5), fill: "noise" }] }, "f.json")).toThrow(/f\.json: a point names a fill the record does not list/);
    const { fill: _, ...nameless } = point("(b)", "gray", 0.5);
    expect(() => checkFig3({ ...record, points: [nameless] })).toThrow(/an occluded point of a record of several fills names no fill/);
    expect(() => checkFig3({ ...record, fills: [] })).toThrow(/fills must be a non-empty list/);
  });
});
