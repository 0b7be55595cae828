import { describe, expect, it } from "vitest";
import { checkCondition, conditionLabel, FrameImages, occludeImages, stepMaskKeys, variantKey } from "../../../src/lib/eval/conditions.js";
import { formatF1Table } from "../../../src/lib/eval/evaluate.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";

describe("Table 2 conditions", () => {
  it("mask keys: per-step keys differ within a batch and repeat; variant 0 of a frame is the frame", () => {
    expect(Array.from(stepMaskKeys(1, 2, 3))).toEqual(Array.from(stepMaskKeys(1, 2, 3)));
    expect(new Set(stepMaskKeys(1, 2, 3)).size).toBe(3);
    expect(variantKey(17, 0)).toBe(17);
    expect(new Set([1, 2, 3].map((v) => variantKey(17, v))).size).toBe(3);
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
    expect(conditionLabel({ input: "clean", occlusion: parseOcclusion("none") })).toBe("clean");
    expect(conditionLabel({ input: "composite", occlusion: parseOcclusion("block:0.3") })).toBe("composite block:0.3");
    // Labels carry the canonical text.
    expect(conditionLabel({ input: "occluded", occlusion: parseOcclusion("block:0.3:random:0") })).toBe("occluded block:0.3");
    expect(conditionLabel({ input: "occluded", occlusion: parseOcclusion("block:0.3:center") })).toBe("occluded block:0.3:0.5:0.5");
    expect(() => checkCondition({ input: "occluded", occlusion: parseOcclusion("none"), patch: 8 })).toThrow(/needs an occlusion/);
    const frames = new FrameImages(Int32Array.from([5, 9]), new Uint8Array(2 * 12).fill(3), 2);
    expect(frames.has(9)).toBe(true);
    expect(() => frames.get(4)).toThrow(/no image for frame 4/);
    const table = formatF1Table([{ label: "clean", f1: [0.5, 0.25], meanF1: 0.375 }], [1, 2]);
    expect(table.split("\n")[1]).toMatch(/^clean\s+50\.0\s+25\.0\s+37\.5$/);
  });
});
