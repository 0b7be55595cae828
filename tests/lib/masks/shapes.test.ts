import { describe, expect, it } from "vitest";
import type { FaceRegion } from "../../../src/lib/data/aus.js";
import { boxMask, regionBoxes } from "../../../src/lib/data/regions.js";
import { blockPatchMask, blockPixelMask, randomBlockPatchMasks } from "../../../src/lib/masks/block.js";
import { countRemoved, patchToPixel } from "../../../src/lib/masks/convert.js";
import { paintPatchMask, paintPixelMask } from "../../../src/lib/masks/paint.js";
import { MASK_REGIONS, regionPatchMask, regionPixelMask } from "../../../src/lib/masks/region.js";

/** Byte-equal masks (fast for large arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Bounding box of the 1s and whether they fill it (a solid rectangle). */
function rect(mask: ArrayLike<number>, width: number) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const [x, y] = [i % width, Math.floor(i / width)];
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
  }
  return { x0, y0, x1, y1, solid: (x1 - x0) * (y1 - y0) === countRemoved(mask) };
}

describe("block masks", () => {
  it("patch blocks are solid rectangles within one patch row of the area ratio", () => {
    for (const grid of [14, 7, 4]) {
      const L = grid * grid;
      for (const area of [0.05, 0.1, 0.3, 0.5, 0.7, 1]) {
        for (const [cx, cy, aspect] of [[0.5, 0.5, 1], [0, 0, 1], [1, 0.3, 2], [0.2, 1, 0.5], [0.7, 0.6, 4]]) {
          const m = blockPatchMask(grid, { area, cx, cy, aspect });
          const n = countRemoved(m);
          const r = rect(m, grid);
          expect(r.solid, `grid ${grid} area ${area} at ${cx},${cy}`).toBe(true);
          expect(Math.abs(n - area * L), `grid ${grid} area ${area} aspect ${aspect}: ${n} patches`).toBeLessThanOrEqual(grid);
        }
      }
    }
  });

  it("a 30% block at 224 px / 16 px patches: 59 of 196 patches, centred, square-ish", () => {
    const m = blockPatchMask(14, { area: 0.3 });
    const n = countRemoved(m);
    expect(Math.abs(n - 58.8)).toBeLessThanOrEqual(14);
    const r = rect(m, 14);
    expect(Math.abs((r.x0 + r.x1) / 2 - 7)).toBeLessThanOrEqual(1);
    expect(Math.abs((r.y0 + r.y1) / 2 - 7)).toBeLessThanOrEqual(1);
    expect(Math.abs(r.x1 - r.x0 - (r.y1 - r.y0))).toBeLessThanOrEqual(1);
    const wide = rect(blockPatchMask(14, { area: 0.3, aspect: 3 }), 14);
    expect(wide.x1 - wide.x0).toBeGreaterThan(2 * (wide.y1 - wide.y0));
  });

  it("pixel blocks are exact to within half a row of pixels and stay inside the face box", () => {
    for (const area of [0.1, 0.3, 0.6]) {
      const m = blockPixelMask(224, { area, cx: 0.3, cy: 0.8 });
      const r = rect(m, 224);
      expect(r.solid).toBe(true);
      expect(Math.abs(countRemoved(m) - area * 224 * 224)).toBeLessThanOrEqual((r.x1 - r.x0) / 2);
    }
    const face = { x0: 0.25, y0: 0.125, x1: 0.75, y1: 0.875 };
    const m = blockPixelMask({ height: 64, width: 64 }, { area: 0.5, cx: 1, cy: 1, face });
    const r = rect(m, 64);
    expect(r.x0).toBeGreaterThanOrEqual(16);
    expect(r.x1).toBeLessThanOrEqual(48);
    expect(r.y1).toBeLessThanOrEqual(56);
    expect(Math.abs(countRemoved(m) - 0.5 * 32 * 48)).toBeLessThanOrEqual(16);
  });

  it("random block positions are seeded", () => {
    const a = randomBlockPatchMasks(8, 14, 0.3, 5);
    expect(randomBlockPatchMasks(8, 14, 0.3, 5)).toEqual(a);
    expect(randomBlockPatchMasks(8, 14, 0.3, 6)).not.toEqual(a);
    const positions = new Set<string>();
    for (let b = 0; b < 8; b++) {
      const row = a.subarray(b * 196, (b + 1) * 196);
      expect(Math.abs(countRemoved(row) - 58.8)).toBeLessThanOrEqual(14);
      const r = rect(row, 14);
      positions.add(`${r.x0},${r.y0}`);
    }
    expect(positions.size).toBeGreaterThan(3);
    expect(() => blockPatchMask(14, { area: 0 })).toThrow(/area/);
  });
});

describe("region masks", () => {
  const FACE: FaceRegion[] = ["brows", "eyes", "nose", "upper-lip", "mouth-corners", "chin", "lips", "jaw"];

  it("cover exactly the generator's AU region boxes", () => {
    for (const region of FACE) {
      expect(same(regionPixelMask(224, region), boxMask(224, regionBoxes(region))), region).toBe(true);
      expect(same(regionPixelMask(224, region, ["left"]), boxMask(224, regionBoxes(region, ["left"]))), region).toBe(true);
    }
    const mouth = regionPixelMask(224, "mouth");
    const parts = boxMask(224, [...regionBoxes("upper-lip"), ...regionBoxes("mouth-corners"), ...regionBoxes("lips")]);
    expect(same(mouth, parts)).toBe(true);
    expect(countRemoved(mouth)).toBeGreaterThan(countRemoved(regionPixelMask(224, "lips")));
    expect(same(regionPixelMask(224, 12), regionPixelMask(224, "mouth-corners"))).toBe(true); // AU12 lip corner puller
    expect(same(regionPixelMask(224, [1, 6]), boxMask(224, [...regionBoxes("brows"), ...regionBoxes("eyes")]))).toBe(true);
  });

  it("halves are halves", () => {
    const left = regionPixelMask({ height: 8, width: 10 }, "left-half");
    for (let y = 0; y < 8; y++) for (let x = 0; x < 10; x++) expect(left[y * 10 + x]).toBe(x < 5 ? 1 : 0);
    expect(countRemoved(regionPixelMask(224, "upper-half"))).toBe(224 * 112);
    const lower = regionPatchMask(14, 16, "lower-half");
    expect([...lower]).toEqual([...new Array(98).fill(0), ...new Array(98).fill(1)]);
  });

  it("patch masks cover every pixel of the region and only patches that touch it", () => {
    for (const region of MASK_REGIONS) {
      const pixels = regionPixelMask(224, region);
      const patches = regionPatchMask(14, 16, region);
      const covered = patchToPixel(patches, 14, 16);
      let uncovered = 0;
      for (let i = 0; i < pixels.length; i++) if (pixels[i] && !covered[i]) uncovered++;
      expect(countRemoved(pixels), region).toBeGreaterThan(0);
      expect(uncovered, region).toBe(0);
      const strict = regionPatchMask(14, 16, region, { threshold: 1 });
      expect(countRemoved(strict)).toBeLessThanOrEqual(countRemoved(patches));
      // Every removed patch holds at least one region pixel.
      const empty: number[] = [];
      for (let l = 0; l < 196; l++) {
        if (!patches[l]) continue;
        const [i, j] = [Math.floor(l / 14), l % 14];
        let any = false;
        for (let y = i * 16; y < i * 16 + 16 && !any; y++) for (let x = j * 16; x < j * 16 + 16; x++) if (pixels[y * 224 + x]) any = true;
        if (!any) empty.push(l);
      }
      expect(empty, region).toEqual([]);
    }
    expect(() => regionPixelMask(224, "forehead" as never)).toThrow(/unknown mask region "forehead"/);
  });
});

describe("painted masks", () => {
  it("a dot paints the disc of its radius", () => {
    const m = paintPixelMask(64, [{ points: [{ x: 32, y: 32 }], radius: 10 }]);
    expect(Math.abs(countRemoved(m) - Math.PI * 100)).toBeLessThan(20);
    expect(m[32 * 64 + 32]).toBe(1);
    expect(m[32 * 64 + 43]).toBe(0);
  });

  it("a stroke paints a capsule along its path and erasing removes paint", () => {
    const m = paintPixelMask({ height: 32, width: 64 }, [{ points: [{ x: 8, y: 16 }, { x: 56, y: 16 }], radius: 4 }]);
    for (let x = 8; x < 56; x++) {
      expect(m[16 * 64 + x]).toBe(1);
      expect(m[12 * 64 + x]).toBe(1); // centre 12.5, 3.5 px from the line
      expect(m[10 * 64 + x]).toBe(0); // centre 10.5, 5.5 px away
    }
    const erased = paintPixelMask({ height: 32, width: 64 }, [{ points: [{ x: 32, y: 16 }], radius: 6, erase: true }], m);
    expect(erased[16 * 64 + 32]).toBe(0);
    expect(erased[16 * 64 + 10]).toBe(1);
    expect(m[16 * 64 + 32]).toBe(1); // the base is not modified
  });

  it("patch masks need at least the threshold fraction painted (default half)", () => {
    // A 16 x 16 square painted exactly over patch (1, 2) of a 4 x 4 grid plus half of patch (1, 3).
    const strokes = [];
    for (let y = 16; y < 32; y++) strokes.push({ points: [{ x: 32.5, y: y + 0.5 }, { x: 55.5, y: y + 0.5 }], radius: 0.5 });
    const px = paintPixelMask(64, strokes);
    expect(countRemoved(px)).toBe(16 * 24);
    expect([...paintPatchMask(4, 16, strokes)].map((v, l) => (v ? l : -1)).filter((l) => l >= 0)).toEqual([6, 7]);
    expect([...paintPatchMask(4, 16, strokes, 0.75)].map((v, l) => (v ? l : -1)).filter((l) => l >= 0)).toEqual([6]);
    const dot = [{ points: [{ x: 8, y: 8 }], radius: 3 }];
    expect(countRemoved(paintPatchMask(4, 16, dot))).toBe(0);
    expect([...paintPatchMask(4, 16, dot, 0.1)][0]).toBe(1);
  });
});
