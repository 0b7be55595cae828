import { describe, expect, it } from "vitest";
import { checkCondition, conditionLabel, FrameImages, occludeImages, parseOcclusionPlan, planMasks, stepMaskKeys, variantKey } from "../../../src/lib/eval/conditions.js";
import { formatF1Table } from "../../../src/lib/eval/evaluate.js";

const count = (m: ArrayLike<number>, from: number, to: number) => {
  let n = 0;
  for (let i = from; i < to; i++) n += m[i];
  return n;
};

describe("Table 2 conditions", () => {
  it("parses occlusions (random ratio and seed, random-position or fixed block) and rejects bad ones", () => {
    expect(parseOcclusionPlan("none")).toEqual({ kind: "none", text: "none" });
    expect(parseOcclusionPlan("random:0.5")).toEqual({ kind: "random", text: "random:0.5", ratio: 0.5, seed: 0 });
    expect(parseOcclusionPlan("random:0.3:7")).toMatchObject({ ratio: 0.3, seed: 7, text: "random:0.3:7" });
    expect(parseOcclusionPlan("block:0.3")).toEqual({ kind: "block", text: "block:0.3", area: 0.3, seed: 0 });
    expect(parseOcclusionPlan("block:0.3:0.5:0.7")).toMatchObject({ at: { cx: 0.5, cy: 0.7, aspect: 1 } });
    for (const bad of ["random", "random:1", "random:x", "block:0", "block:0.3:0.5", "block:0.3:2:0.5", "blob:1", "none:1"]) {
      expect(() => parseOcclusionPlan(bad), bad).toThrow(/occlusion/);
    }
  });

  it("masks are a function of the key: 50% random removes half the patches; blocks cover 30% at random places", () => {
    const random = parseOcclusionPlan("random:0.5");
    const keys = [0, 1, 2, 3, 1];
    const m = planMasks(random, keys, 8);
    for (let k = 0; k < keys.length; k++) expect(count(m, k * 64, (k + 1) * 64)).toBe(32);
    expect(Array.from(m.slice(64, 128))).toEqual(Array.from(m.slice(256, 320)));
    expect(Array.from(m.slice(0, 64))).not.toEqual(Array.from(m.slice(64, 128)));
    expect(Array.from(planMasks(parseOcclusionPlan("random:0.5:1"), [0], 8))).not.toEqual(Array.from(m.slice(0, 64)));
    const block = planMasks(parseOcclusionPlan("block:0.3"), [0, 1, 2, 3, 4, 5], 8);
    const positions = new Set<string>();
    for (let k = 0; k < 6; k++) {
      const n = count(block, k * 64, (k + 1) * 64);
      expect(Math.abs(n - 0.3 * 64)).toBeLessThanOrEqual(3);
      positions.add(Array.from(block.slice(k * 64, (k + 1) * 64)).join(""));
    }
    expect(positions.size).toBeGreaterThan(1);
    const fixed = planMasks(parseOcclusionPlan("block:0.3:0.5:0.5"), [0, 9], 8);
    expect(Array.from(fixed.slice(0, 64))).toEqual(Array.from(fixed.slice(64)));
    expect(count(planMasks(parseOcclusionPlan("none"), [0, 1], 8), 0, 128)).toBe(0);
    expect(Array.from(stepMaskKeys(1, 2, 3))).toEqual(Array.from(stepMaskKeys(1, 2, 3)));
    expect(new Set(stepMaskKeys(1, 2, 3)).size).toBe(3);
    // Variant 0 of a frame is the evaluation's mask; other variants differ.
    expect(variantKey(17, 0)).toBe(17);
    expect(Array.from(planMasks(random, [variantKey(1, 2)], 8))).not.toEqual(Array.from(m.slice(64, 128)));
  });

  it("occludes only the removed patches, with the fill", () => {
    const size = 16;
    const images = Uint8Array.from({ length: 2 * size * size * 3 }, (_, i) => (i * 7) % 251);
    const masks = new Float32Array(2 * 4);
    masks[1] = 1; // image 0, patch (0, 1)
    const out = occludeImages(images, size, masks, 8, "black");
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) {
          const i = (y * size + x) * 3 + c;
          expect(out[i]).toBe(y < 8 && x >= 8 ? 0 : images[i]);
          expect(out[size * size * 3 + i]).toBe(images[size * size * 3 + i]);
        }
  });

  it("labels, checks and tables", () => {
    expect(conditionLabel({ input: "clean", occlusion: parseOcclusionPlan("none") })).toBe("clean");
    expect(conditionLabel({ input: "composite", occlusion: parseOcclusionPlan("block:0.3") })).toBe("composite block:0.3");
    expect(() => checkCondition({ input: "occluded", occlusion: parseOcclusionPlan("none"), patch: 8 })).toThrow(/needs an occlusion/);
    const frames = new FrameImages(Int32Array.from([5, 9]), new Uint8Array(2 * 12).fill(3), 2);
    expect(frames.has(9)).toBe(true);
    expect(() => frames.get(4)).toThrow(/no image for frame 4/);
    const table = formatF1Table([{ label: "clean", f1: [0.5, 0.25], meanF1: 0.375 }], [1, 2]);
    expect(table.split("\n")[1]).toMatch(/^clean\s+50\.0\s+25\.0\s+37\.5$/);
  });
});
