import { describe, expect, it } from "vitest";
import { formatOcclusion, occlusionMasks, parseOcclusion, type OcclusionSpec } from "../../../src/lib/masks/spec.js";

describe("occlusion specs", () => {
  const specs: OcclusionSpec[] = [
    { kind: "none" },
    { kind: "random", ratio: 0.5, seed: 7 },
    { kind: "block", area: 0.3, cx: 0.4, cy: 0.6, aspect: 1.5 },
    { kind: "region", region: "eyes" },
    { kind: "paint", threshold: 0.5, strokes: [{ radius: 4, points: [{ x: 10, y: 12 }, { x: 30.5, y: 12 }] }] },
  ];

  it("round-trip through their URL text", () => {
    for (const spec of specs) expect(parseOcclusion(formatOcclusion(spec))).toEqual(spec);
  });

  it("give patch masks whose pixels are exactly the removed patches", () => {
    for (const spec of specs) {
      const { patchMask, pixelMask, removed } = occlusionMasks(spec, 64, 8);
      expect(patchMask.length).toBe(64);
      expect(removed).toBe(patchMask.reduce((a, b) => a + b, 0));
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) expect(pixelMask[y * 64 + x]).toBe(patchMask[Math.floor(y / 8) * 8 + Math.floor(x / 8)]);
      }
    }
  });

  it("remove floor-rule counts for random masks and about the asked area for blocks", () => {
    expect(occlusionMasks({ kind: "random", ratio: 0.5, seed: 1 }, 64, 8).removed).toBe(32);
    expect(occlusionMasks({ kind: "random", ratio: 0.7, seed: 1 }, 32, 8).removed).toBe(12); // L=16 keeps 4
    const block = occlusionMasks({ kind: "block", area: 0.3, cx: 0.5, cy: 0.5, aspect: 1 }, 64, 8).removed;
    expect(Math.abs(block - 0.3 * 64)).toBeLessThanOrEqual(8);
    expect(occlusionMasks({ kind: "none" }, 64, 8).removed).toBe(0);
  });

  it("reject malformed text with an example of the format", () => {
    expect(() => parseOcclusion("random:abc")).toThrow(/expected numbers/);
    expect(() => parseOcclusion("random:1.5")).toThrow(/ratio/);
    expect(() => parseOcclusion("region:ears")).toThrow(/unknown region/);
    expect(() => parseOcclusion("blob:1")).toThrow(/e\.g\. random:0\.5:1/);
  });
});
