import { describe, expect, it } from "vitest";
import { checkTable2, compareWithPaper, occlusionName, rowOcclusion, table2Groups, type Table2Row } from "../../../src/lib/eval/table2.js";

const aus = [1, 2];
const row = (condition: string, train: string, test: string, f1: number[]): Table2Row => ({
  condition, label: `${condition} ${test}`, train, test, ckpt: "x", f1, meanF1: (f1[0] + f1[1]) / 2,
});
// Rows in the order `maskau reproduce table2` writes them.
const file = {
  aus,
  rows: [
    row("(a)", "clean", "clean", [0.6, 0.8]),
    row("(b)", "clean", "occluded random:0.5", [0.2, 0.4]),
    row("(b)", "clean", "occluded block:0.3", [0.4, 0.6]),
    row("(c)", "clean", "composite random:0.5", [0.4, 0.6]),
    row("(c)", "clean", "composite block:0.3", [0.5, 0.6]),
    row("(d)", "composite random:0.5", "composite random:0.5", [0.5, 0.7]),
    row("(d)", "composite block:0.3", "composite block:0.3", [0.5, 0.7]),
  ],
};

describe("Table 2 groups", () => {
  it("groups rows per occlusion with the clean row first and the paper's figures", () => {
    const groups = table2Groups(checkTable2(file));
    expect(groups.map((g) => g.occlusion)).toEqual(["random:0.5", "block:0.3"]);
    expect(groups[0].rows.map((r) => `${r.condition} ${r.test}`)).toEqual(["(a) clean", "(b) occluded random:0.5", "(c) composite random:0.5", "(d) composite random:0.5"]);
    expect(groups[1].paper).toEqual({ "(a)": 65.5, "(b)": 50.81, "(c)": 52.18, "(d)": 62.09 });
    expect(rowOcclusion({ test: "clean" })).toBeNull();
    expect(occlusionName("random:0.5")).toBe("50% random patches");
    expect(occlusionName("block:0.3")).toBe("30% block");
  });

  it("compares the loss and recovery with the paper's", () => {
    const [random] = table2Groups(file);
    const text = compareWithPaper(random);
    expect(text).toContain("clean 70.0 → occluded 30.0 → composite 50.0, teacher 60.0");
    expect(text).toContain("the paper's 65.5 → 30.73 → 54.3, teacher 63.38");
    // 40 points lost; composites win back 20 (50%), the teacher 30 (75%); paper (54.3-30.73)/(65.5-30.73) = 68%, 94%.
    expect(text).toContain("win back 50% of them and the teacher 75% (paper: 68% and 94%)");
  });

  it("rejects a file of another shape", () => {
    expect(() => checkTable2({ rows: [] })).toThrow(/expected/);
    expect(() => checkTable2({ aus, rows: [row("(e)", "a", "b", [0, 0])] })).toThrow(/unknown condition/);
    expect(() => checkTable2({ aus, rows: [row("(a)", "a", "clean", [0])] })).toThrow(/1 F1 values for 2 AUs/);
  });
});
