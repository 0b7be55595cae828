// The index page's headline: rows built from the committed Table 2 and the shipped
// checkpoints' metadata, the paper's claims checked on them, and Fig. 3's ends.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkFig3 } from "../../../src/lib/eval/fig3.js";
import { fig3Ends, headlineClaims, headlineRows, PAPER_STUDENT, shippedResult, type HeadlineRow, type ShippedResult } from "../../../src/lib/eval/headline.js";
import { checkTable2, PAPER_TABLE2 } from "../../../src/lib/eval/table2.js";
import type { CheckpointMeta } from "../../../src/lib/io/checkpoint.js";
import { checkpointMeta } from "../../../src/lib/io/checkpoint.js";
import { inspectSafetensors } from "../../../src/lib/io/safetensors.js";

const table2 = checkTable2(JSON.parse(readFileSync("src/data/table2.json", "utf8")));
const fig3 = checkFig3(JSON.parse(readFileSync("src/data/fig3.json", "utf8")));

function shipped(file: string): ShippedResult {
  return shippedResult(file, checkpointMeta(inspectSafetensors(new Uint8Array(readFileSync(`src/checkpoints/${file}`)), file).metadata, file));
}

const meta = (m: Partial<CheckpointMeta>): CheckpointMeta => ({ format: "maskau-checkpoint", version: 1, model: "student", config: {}, ...m });

describe("shippedResult", () => {
  it("reads a shipped student's and teacher's recorded result", () => {
    const s = shipped("student-tiny-random0.5.safetensors");
    expect(s).toMatchObject({ role: "student", occlusion: "random:0.5", input: "occluded", step: 1500, teacher: "src/checkpoints/teacher-tiny-mefl-random0.5.safetensors" });
    expect(s.meanF1).toBeCloseTo(0.4979, 4);
    const t = shipped("teacher-tiny-mefl-block0.3.safetensors");
    expect(t).toMatchObject({ role: "teacher", occlusion: "block:0.3", input: "composite", teacher: null });
    // The stage-2 teacher on all of fold 1 is Fig. 3's (d) at the same occlusion.
    const r = shipped("teacher-tiny-mefl-random0.5.safetensors");
    expect(r.meanF1).toBe(fig3.points.find((p) => p.condition === "(d)" && p.occlusion === "random:0.5")!.meanF1);
  });

  it("refuses metadata without a condition or a mean F1, naming the file", () => {
    expect(() => shippedResult("x.safetensors", null)).toThrow(/x\.safetensors: no MaskAU metadata/);
    expect(() => shippedResult("x.safetensors", meta({ metrics: { meanF1: 0.5 } }))).toThrow(/x\.safetensors: .*config\.condition/);
    expect(() => shippedResult("x.safetensors", meta({ config: { condition: { input: "occluded", occlusion: "random:0.5" } }, metrics: { meanF1: 1.5 } }))).toThrow(/metrics\.meanF1 in \[0, 1\]/);
  });
});

describe("headlineRows", () => {
  const results = ["teacher-tiny-mefl-random0.5", "teacher-tiny-mefl-block0.3", "student-tiny-random0.5", "student-tiny-block0.3"].map((f) => shipped(`${f}.safetensors`));
  const rows = headlineRows(table2, results);

  it("has a row per occlusion of Table 2: (a)-(c) from Table 2, teacher and student from their files, the paper's figures", () => {
    expect(rows.map((r) => r.occlusion)).toEqual(["random:0.5", "block:0.3"]);
    for (const r of rows) {
      const t2 = (c: string) => table2.rows.find((x) => x.condition === c && (c === "(a)" || x.test.endsWith(r.occlusion)))!.meanF1;
      expect([r.clean, r.occluded, r.composite, r.stage1Teacher]).toEqual([t2("(a)"), t2("(b)"), t2("(c)"), t2("(d)")]);
      expect(r.teacher).toBe(results.find((s) => s.role === "teacher" && s.occlusion === r.occlusion)!.meanF1);
      expect(r.student).toBe(results.find((s) => s.role === "student" && s.occlusion === r.occlusion)!.meanF1);
      expect(r.studentFile).toBe(`student-tiny-${r.occlusion.replace(":", "")}.safetensors`);
      expect(r.paper).toEqual({
        clean: PAPER_TABLE2[r.occlusion]["(a)"],
        occluded: PAPER_TABLE2[r.occlusion]["(b)"],
        composite: PAPER_TABLE2[r.occlusion]["(c)"],
        teacher: PAPER_TABLE2[r.occlusion]["(d)"],
        student: PAPER_STUDENT[r.occlusion],
      });
    }
  });

  it("leaves the teacher and student empty where none is shipped", () => {
    const [r] = headlineRows(table2, []);
    expect([r.teacher, r.student, r.teacherFile, r.studentFile]).toEqual([null, null, null, null]);
    expect(headlineClaims(r).map((c) => c.holds)).toEqual([true, true, null, null]);
  });

  it("checks the paper's claims: the shipped results hold the first three, not the student's", () => {
    for (const r of rows) {
      const claims = headlineClaims(r);
      expect(claims.map((c) => c.id)).toEqual(["occlusion-hurts", "mae-recovers", "teacher-recovers", "student-matches"]);
      expect(claims.map((c) => c.holds)).toEqual([true, true, true, false]);
    }
    // The paper's own numbers hold all four (student 0.82 below its teacher, above (c)).
    const paperRow: HeadlineRow = { occlusion: "random:0.5", clean: 0.655, occluded: 0.3073, composite: 0.543, teacher: 0.6338, student: 0.6256, stage1Teacher: null, teacherFile: null, studentFile: null, paper: rows[0].paper };
    const claims = headlineClaims(paperRow);
    expect(claims.map((c) => c.holds)).toEqual([true, true, true, true]);
    expect(claims[0].here).toBe("−34.8 points (a → b)");
    expect(claims[0].paper).toBe("−34.8 points");
    expect(claims[3].here).toBe("−0.8 points from the teacher, +8.3 over (c)");
    expect(claims[3].paper).toBe(claims[3].here);
  });

  it("calls a student more than 3 points below its teacher, or below (c), a claim that does not hold", () => {
    const base: HeadlineRow = { ...rows[0], composite: 0.5, teacher: 0.6 };
    expect(headlineClaims({ ...base, student: 0.571 })[3].holds).toBe(true);
    expect(headlineClaims({ ...base, student: 0.569 })[3].holds).toBe(false);
    expect(headlineClaims({ ...base, composite: 0.58, student: 0.575 })[3].holds).toBe(false);
  });
});

describe("fig3Ends", () => {
  it("gives each model's mean F1 at 10% and 70% removed and its spread, in %", () => {
    const ends = fig3Ends(fig3);
    expect(ends.map((e) => e.condition)).toEqual(["(b)", "(c)", "(d)", "(e)"]);
    const e = ends.find((x) => x.condition === "(e)")!;
    const f1 = (o: string) => 100 * fig3.points.find((p) => p.condition === "(e)" && p.occlusion === o)!.meanF1;
    expect(e.first).toEqual({ occlusion: "random:0.1", meanF1: f1("random:0.1") });
    expect(e.last).toEqual({ occlusion: "random:0.7", meanF1: f1("random:0.7") });
    const all = fig3.occlusions.map(f1);
    expect(e.spread).toBeCloseTo(Math.max(...all) - Math.min(...all), 12);
    expect(e.model).toBe("student");
  });
});
