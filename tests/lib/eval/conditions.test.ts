import { describe, expect, it } from "vitest";
import { checkCondition, conditionLabel } from "../../../src/lib/eval/conditions.js";
import { formatF1Table } from "../../../src/lib/eval/evaluate.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";

describe("Table 2 conditions", () => {
  it("labels, checks and tables", () => {
    expect(conditionLabel({ input: "clean", occlusion: parseOcclusion("none") })).toBe("clean");
    expect(conditionLabel({ input: "composite", occlusion: parseOcclusion("block:0.3") })).toBe("composite block:0.3");
    // Labels carry the canonical text.
    expect(conditionLabel({ input: "occluded", occlusion: parseOcclusion("block:0.3:random:0") })).toBe("occluded block:0.3");
    expect(conditionLabel({ input: "occluded", occlusion: parseOcclusion("block:0.3:center") })).toBe("occluded block:0.3:0.5:0.5");
    expect(() => checkCondition({ input: "occluded", occlusion: parseOcclusion("none"), patch: 8 })).toThrow(/needs an occlusion/);
    const table = formatF1Table([{ label: "clean", f1: [0.5, 0.25], meanF1: 0.375 }], [1, 2]);
    expect(table.split("\n")[1]).toMatch(/^clean\s+50\.0\s+25\.0\s+37\.5$/);
  });
});
