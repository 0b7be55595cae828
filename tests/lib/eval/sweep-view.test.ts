// What the Evaluation page draws from a sweep: the occlusions of each type, the precomputed
// Fig. 3 record cut to the models asked for (and refused when it does not cover them), and
// the curve and heatmap rows.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkFig3, type Fig3Point } from "../../../src/lib/eval/fig3.js";
import { curveRows, heatmapCells, occlusionAxisValue, precomputedSweep, sweepOcclusions, sweepTypeOf } from "../../../src/lib/eval/sweep-view.js";
import { FILL_KINDS } from "../../../src/lib/masks/fill.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";

const file = checkFig3(JSON.parse(readFileSync("src/data/fig3.json", "utf8")));
const TEACHER = "src/checkpoints/teacher-tiny-mefl-random0.5.safetensors";
const STUDENT = "src/checkpoints/student-tiny-random0.5.safetensors";

describe("sweepOcclusions", () => {
  it("gives Fig. 3's random ratios, block areas and regions, each a valid occlusion of its type", () => {
    expect(sweepOcclusions("random")).toEqual(file.occlusions);
    expect(sweepOcclusions("block")).toEqual(["block:0.1", "block:0.2", "block:0.3", "block:0.4", "block:0.5"]);
    expect(sweepOcclusions("region")[0]).toBe("region:brows");
    for (const type of ["random", "block", "region"] as const) {
      for (const o of sweepOcclusions(type)) {
        expect(parseOcclusion(o).kind).toBe(type);
        expect(sweepTypeOf(o)).toBe(type);
      }
    }
    expect(sweepTypeOf("none")).toBeNull();
    expect(() => sweepOcclusions("paint" as never)).toThrow(/random, block or region/);
  });
});

describe("precomputedSweep", () => {
  it("covers the shipped random:0.5 teacher and student with random patches and gray fill: (b), (c), (d), (e) at every ratio", () => {
    const view = precomputedSweep(file, { type: "random", fill: "gray", teacherCkpt: TEACHER, studentCkpt: STUDENT })!;
    expect(view.source).toBe("precomputed");
    expect(view.faces).toBeNull();
    expect(view.caption).toContain("maskau reproduce fig3");
    for (const c of ["(b)", "(c)", "(d)", "(e)"]) expect(view.points.filter((p) => p.condition === c).map((p) => p.occlusion), c).toEqual(file.occlusions);
    expect(view.points.find((p) => p.condition === "(d)")!.ckpt).toBe(TEACHER);
  });

  it("is null for another fill, another occlusion type or checkpoints the record does not hold", () => {
    expect(precomputedSweep(file, { type: "random", fill: "black", teacherCkpt: TEACHER, studentCkpt: STUDENT })).toBeNull();
    expect(precomputedSweep(file, { type: "block", fill: "gray", teacherCkpt: TEACHER, studentCkpt: STUDENT })).toBeNull();
    expect(precomputedSweep(file, { type: "random", fill: "gray", teacherCkpt: "src/checkpoints/teacher-tiny-mefl-block0.3.safetensors", studentCkpt: STUDENT })).toBeNull();
    expect(precomputedSweep(file, { type: "random", fill: "gray", teacherCkpt: TEACHER, studentCkpt: "src/checkpoints/student-tiny-block0.3.safetensors" })).toBeNull();
  });

  it("covers one block of 10-50% with the shipped block:0.3 teacher and student from the block record, and only those", () => {
    const block = checkFig3(JSON.parse(readFileSync("src/data/fig3-block.json", "utf8")));
    const request = { type: "block" as const, fill: "gray" as const, teacherCkpt: "src/checkpoints/teacher-tiny-mefl-block0.3.safetensors", studentCkpt: "src/checkpoints/student-tiny-block0.3.safetensors" };
    const view = precomputedSweep(block, request)!;
    expect(view.occlusions).toEqual(sweepOcclusions("block"));
    for (const c of ["(b)", "(c)", "(d)", "(e)"]) expect(view.points.filter((p) => p.condition === c)).toHaveLength(5);
    expect(precomputedSweep(block, { ...request, teacherCkpt: TEACHER, studentCkpt: STUDENT })).toBeNull();
    expect(precomputedSweep(file, request)).toBeNull();
  });
});

describe("precomputedSweep over the region and fill records", () => {
  const read = (name: string) => checkFig3(JSON.parse(readFileSync(`src/data/${name}`, "utf8")), name);
  const BLOCK = { teacherCkpt: "src/checkpoints/teacher-tiny-mefl-block0.3.safetensors", studentCkpt: "src/checkpoints/student-tiny-block0.3.safetensors" };
  const RANDOM = { teacherCkpt: TEACHER, studentCkpt: STUDENT };
  const conditions = (view: { points: Fig3Point[] }, c: string) => view.points.filter((p) => p.condition === c).map((p) => p.occlusion);

  it("covers the page's regions with gray for the shipped random:0.5 pair and the block:0.3 pair, each from its own record", () => {
    for (const [name, pair, other] of [["fig3-regions.json", RANDOM, BLOCK], ["fig3-regions-block.json", BLOCK, RANDOM]] as const) {
      const record = read(name);
      const view = precomputedSweep(record, { type: "region", fill: "gray", ...pair })!;
      expect(view.occlusions, name).toEqual(sweepOcclusions("region"));
      for (const c of ["(b)", "(c)", "(d)", "(e)"]) expect(conditions(view, c), `${name} ${c}`).toEqual(sweepOcclusions("region"));
      expect(precomputedSweep(record, { type: "region", fill: "gray", ...other }), name).toBeNull();
      expect(precomputedSweep(record, { type: "region", fill: "black", ...pair }), name).toBeNull();
    }
  });

  it("covers random patches and one block under every fill; at gray they are the gray records' curves, and (c), (d) are the same under every fill", () => {
    for (const [name, gray, type, pair] of [["fig3-fills.json", file, "random", RANDOM], ["fig3-fills-block.json", read("fig3-block.json"), "block", BLOCK]] as const) {
      const record = read(name);
      expect(record.fills, name).toEqual(FILL_KINDS);
      const ref = precomputedSweep(gray, { type, fill: "gray", ...pair })!;
      const composites = (view: { points: Fig3Point[] }) => view.points.filter((p) => p.input === "composite").map((p) => p.f1);
      for (const fill of FILL_KINDS) {
        const view = precomputedSweep(record, { type, fill, ...pair })!;
        expect(view.fill, `${name} ${fill}`).toBe(fill);
        for (const c of ["(b)", "(c)", "(d)", "(e)"]) expect(conditions(view, c), `${name} ${fill} ${c}`).toEqual(sweepOcclusions(type));
        expect(composites(view), `${name} ${fill}`).toEqual(composites(ref));
        if (fill === "gray") expect(view.points.map((p) => [p.condition, p.occlusion, p.f1]), name).toEqual(ref.points.map((p) => [p.condition, p.occlusion, p.f1]));
      }
      expect(precomputedSweep(record, { type: "region", fill: "black", ...pair }), name).toBeNull();
    }
  });
});

describe("curve and heatmap rows", () => {
  const points: Fig3Point[] = [
    { condition: "(d)", model: "teacher", ckpt: "t", input: "composite", occlusion: "block:0.2", f1: [0.5, 0.25], meanF1: 0.375 },
    { condition: "(e)", model: "student", ckpt: "s", input: "occluded", occlusion: "region:eyes", f1: [1, 0], meanF1: 0.5 },
    { condition: "(e)", model: "student", ckpt: "s", input: "occluded", occlusion: "region:nose", f1: [], meanF1: 0.5 },
  ];

  it("puts the share removed (%) or the region on the x axis, F1 in percent", () => {
    expect(occlusionAxisValue("random:0.3")).toBeCloseTo(30, 9);
    expect(occlusionAxisValue("block:0.2")).toBeCloseTo(20, 9);
    expect(occlusionAxisValue("region:eyes")).toBe("eyes");
    expect(curveRows({ points })).toEqual([
      { condition: "(d)", model: "teacher", occlusion: "block:0.2", x: 20, meanF1: 37.5 },
      { condition: "(e)", model: "student", occlusion: "region:eyes", x: "eyes", meanF1: 50 },
      { condition: "(e)", model: "student", occlusion: "region:nose", x: "nose", meanF1: 50 },
    ]);
  });

  it("gives one cell per model, occlusion and AU, leaving out points without per-AU F1", () => {
    const cells = heatmapCells({ points, aus: [1, 2] });
    expect(cells).toEqual([
      { condition: "(d)", model: "teacher", occlusion: "block:0.2", x: "20%", au: "AU1", f1: 50 },
      { condition: "(d)", model: "teacher", occlusion: "block:0.2", x: "20%", au: "AU2", f1: 25 },
      { condition: "(e)", model: "student", occlusion: "region:eyes", x: "eyes", au: "AU1", f1: 100 },
      { condition: "(e)", model: "student", occlusion: "region:eyes", x: "eyes", au: "AU2", f1: 0 },
    ]);
  });
});
