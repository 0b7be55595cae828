import { describe, expect, it } from "vitest";
import { countRemoved, patchCoverage, patchToPixel, pixelToPatch } from "../../../src/lib/masks/convert.js";
import { randomMasking } from "../../../src/lib/masks/random.js";

describe("patch <-> pixel masks", () => {
  it("patch -> pixel -> patch round-trips for any threshold in (0, 1]", () => {
    const { mask } = randomMasking(1, 196, 0.5, 3);
    const pixels = patchToPixel(mask, 14, 16);
    expect(pixels.length).toBe(224 * 224);
    expect(countRemoved(pixels)).toBe(98 * 256);
    for (const t of [0, 0.01, 0.5, 1]) expect(pixelToPatch(pixels, 16, t)).toEqual(mask);
  });

  it("places patch l = i * cols + j at rows i*p.., columns j*p.. (non-square grid)", () => {
    const mask = new Float32Array(2 * 3);
    mask[1 * 3 + 2] = 1; // row 1, column 2
    const px = patchToPixel(mask, { rows: 2, cols: 3 }, 4);
    const width = 12;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < width; x++) expect(px[y * width + x], `${x},${y}`).toBe(y >= 4 && x >= 8 ? 1 : 0);
    }
    expect(pixelToPatch(px, 4, 0.5, { height: 8, width: 12 })).toEqual(mask);
  });

  it("applies the threshold on exact pixel counts", () => {
    const px = new Uint8Array(8 * 8);
    for (let y = 0; y < 4; y++) px.fill(1, y * 8, y * 8 + 2); // patch 0: 8 of 16 pixels
    px[0 * 8 + 6] = 1; // patch 1: 1 pixel
    expect(patchCoverage(px, 4).coverage).toEqual(Float32Array.from([0.5, 1 / 16, 0, 0]));
    expect([...pixelToPatch(px, 4, 0.5)]).toEqual([1, 0, 0, 0]);
    expect([...pixelToPatch(px, 4, 0.51)]).toEqual([0, 0, 0, 0]);
    expect([...pixelToPatch(px, 4, 0)]).toEqual([1, 1, 0, 0]); // 0 = any painted pixel
    expect([...pixelToPatch(px, 4, 1 / 16)]).toEqual([1, 1, 0, 0]);
  });

  it("rejects inconsistent sizes", () => {
    expect(() => patchToPixel(new Float32Array(5), 2, 4)).toThrow(/5 values but the grid is 2 x 2/);
    expect(() => pixelToPatch(new Uint8Array(10), 2)).toThrow(/not square/);
    expect(() => pixelToPatch(new Uint8Array(36), 4)).toThrow(/does not divide/);
    expect(() => pixelToPatch(new Uint8Array(16), 2, 1.5)).toThrow(/threshold/);
  });
});
