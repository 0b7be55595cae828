// Occluded images: the removed patches of a patch mask painted with a fill (fill.ts).
import { mixSeed } from "../data/prng.js";
import { patchToPixel } from "./convert.js";
import { applyMask, type Fill } from "./fill.js";

/**
 * uint8 RGB images [B, S, S, 3] with the removed patches of `masks` [B, L] (1 = removed,
 * patches of `patch` pixels) painted with `fill`; image b's fill draws from mixSeed(seed, b).
 */
export function occludeImages(images: Uint8Array, size: number, masks: Float32Array, patch: number, fill: Fill, seed = 0): Uint8Array {
  const grid = size / patch;
  if (!Number.isInteger(grid)) throw new Error(`image size ${size} is not a multiple of the patch size ${patch}`);
  const L = grid * grid;
  const ib = size * size * 3;
  const n = images.length / ib;
  if (masks.length !== n * L) throw new Error(`occludeImages: ${masks.length} mask values for ${n} images of ${L} patches`);
  const out = new Uint8Array(images.length);
  for (let b = 0; b < n; b++) {
    const img = images.subarray(b * ib, (b + 1) * ib);
    const m = masks.subarray(b * L, (b + 1) * L);
    let any = false;
    for (const v of m) if (v) any = true;
    if (!any) {
      out.set(img, b * ib);
      continue;
    }
    const pixel = patchToPixel(m, grid, patch);
    out.set(applyMask({ data: img, width: size, height: size, channels: 3 }, pixel, fill, { seed: mixSeed(seed, b) }), b * ib);
  }
  return out;
}
