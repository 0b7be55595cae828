import { describe, expect, it } from "vitest";
import { applyMask, FILL_KINDS, type Fill } from "../../../src/lib/masks/fill.js";
import { blockPixelMask } from "../../../src/lib/masks/block.js";
import { regionPixelMask } from "../../../src/lib/masks/region.js";
import { Rng } from "../../../src/lib/data/prng.js";

const W = 48;
const H = 40;

function floatImage(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: W * H * 3 }, () => rng.next());
}

function rgbaImage(seed: number): Uint8ClampedArray {
  const rng = new Rng(seed);
  return Uint8ClampedArray.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 200 : rng.int(256)));
}

/** Values of the masked pixels of an RGB(A) image as [r, g, b] floats. */
function maskedRgb(data: ArrayLike<number>, mask: Uint8Array, channels: number, scale: number): number[][] {
  const out: number[][] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p]) out.push([0, 1, 2].map((c) => data[p * channels + c] / scale));
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

describe("mask fills", () => {
  const mask = blockPixelMask({ height: H, width: W }, { area: 0.3, cx: 0.4, cy: 0.5, aspect: 1.5 });
  const fills: Fill[] = [...FILL_KINDS, { color: [0.2, 0.4, 0.6] }];

  it("touch only masked pixels (float RGB and 8-bit RGBA, alpha kept)", () => {
    for (const fill of fills) {
      const img = floatImage(1);
      const out = applyMask({ data: img, width: W, height: H }, mask, fill, { seed: 4 });
      expect(out).toBeInstanceOf(Float32Array);
      expect(out).not.toBe(img);
      let [changed, touched, outOfRange] = [0, 0, 0];
      for (let p = 0; p < W * H; p++) {
        for (let c = 0; c < 3; c++) {
          const [a, b] = [img[p * 3 + c], out[p * 3 + c]];
          if (!mask[p]) {
            if (!Object.is(a, b)) touched++;
          } else {
            if (!(b >= 0 && b <= 1)) outOfRange++;
            if (a !== b) changed++;
          }
        }
      }
      expect(touched, JSON.stringify(fill)).toBe(0);
      expect(outOfRange).toBe(0);
      expect(changed, JSON.stringify(fill)).toBeGreaterThan(mask.reduce((a, m) => a + m, 0) * 2);
      expect(img).toEqual(floatImage(1)); // input untouched

      const rgba = rgbaImage(2);
      const o8 = applyMask({ data: rgba, width: W, height: H }, mask, fill, { seed: 4 });
      expect(o8).toBeInstanceOf(Uint8ClampedArray);
      let bad = 0;
      for (let p = 0; p < W * H; p++) {
        if (o8[p * 4 + 3] !== 200) bad++;
        if (!mask[p]) for (let c = 0; c < 3; c++) if (o8[p * 4 + c] !== rgba[p * 4 + c]) bad++;
      }
      expect(bad, JSON.stringify(fill)).toBe(0);
    }
  });

  it("constant fills: black, gray, colour, and the mean of the visible pixels", () => {
    const img = floatImage(3);
    const px = (fill: Fill) => maskedRgb(applyMask({ data: img, width: W, height: H }, mask, fill), mask, 3, 1);
    expect(px("black").every((v) => v.every((c) => c === 0))).toBe(true);
    expect(px("gray").every((v) => v.every((c) => c === 0.5))).toBe(true);
    expect(px({ color: [0.2, 0.4, 0.6] })[0]).toEqual([0.2, 0.4, 0.6].map(Math.fround));
    const visible = [0, 0, 0];
    let n = 0;
    for (let p = 0; p < W * H; p++) if (!mask[p]) (n++, [0, 1, 2].forEach((c) => (visible[c] += img[p * 3 + c])));
    const m = px("mean");
    for (let c = 0; c < 3; c++) expect(m[0][c]).toBeCloseTo(visible[c] / n, 6);
    expect(new Set(m.map((v) => v.join())).size).toBe(1);
    // 8-bit: mean in 0..255 units.
    const rgba = rgbaImage(5);
    const o8 = applyMask({ data: rgba, width: W, height: H }, mask, "gray");
    expect(maskedRgb(o8, mask, 4, 1)[0]).toEqual([128, 128, 128]);
  });

  it("noise and textures are seeded", () => {
    const img = floatImage(6);
    for (const fill of ["noise", "hand", "sunglasses"] as const) {
      const a = applyMask({ data: img, width: W, height: H }, mask, fill, { seed: 1 });
      expect(applyMask({ data: img, width: W, height: H }, mask, fill, { seed: 1 })).toEqual(a);
      expect(applyMask({ data: img, width: W, height: H }, mask, fill, { seed: 2 })).not.toEqual(a);
    }
  });

  it("hand: skin-toned with stripes and shading; sunglasses: dark lenses with highlights", () => {
    const size = 112;
    const face = regionPixelMask(size, "eyes");
    const img = new Float32Array(size * size * 3).fill(0.5);
    for (let seed = 0; seed < 4; seed++) {
      const hand = maskedRgb(applyMask({ data: img, width: size, height: size }, face, "hand", { seed }), face, 3, 1);
      const [r, g, b] = [0, 1, 2].map((c) => mean(hand.map((v) => v[c])));
      expect(r, `seed ${seed}`).toBeGreaterThan(g);
      expect(g).toBeGreaterThan(b);
      // Stripes and shading: clear brightness variation, dark creases.
      const lum = hand.map((v) => (v[0] + v[1] + v[2]) / 3);
      expect(std(lum) / mean(lum)).toBeGreaterThan(0.12);
      expect(Math.min(...lum)).toBeLessThan(0.6 * mean(lum));

      const glasses = maskedRgb(applyMask({ data: img, width: size, height: size }, face, "sunglasses", { seed }), face, 3, 1);
      const gl = glasses.map((v) => (v[0] + v[1] + v[2]) / 3);
      expect(mean(gl)).toBeLessThan(0.2);
      const sorted = [...gl].sort((a, b) => a - b);
      expect(sorted[Math.floor(0.5 * sorted.length)]).toBeLessThan(0.15); // mostly dark
      expect(Math.max(...gl)).toBeGreaterThan(0.4); // glossy highlight
    }
  });

  it("an empty mask returns an unchanged copy; bad sizes are refused", () => {
    const img = floatImage(7);
    const out = applyMask({ data: img, width: W, height: H }, new Uint8Array(W * H), "hand");
    expect(out).toEqual(img);
    expect(out).not.toBe(img);
    expect(() => applyMask({ data: img, width: W, height: H }, new Uint8Array(10), "black")).toThrow(/mask has 10 pixels/);
    expect(() => applyMask({ data: new Float32Array(W * H * 2), width: W, height: H }, mask, "black")).toThrow(/x 3 or 4/);
    expect(() => applyMask({ data: img, width: W, height: H }, mask, "plaid" as never)).toThrow(/unknown fill "plaid"/);
  });
});
