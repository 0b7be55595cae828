// Training-time augmentation of aligned faces: random crop (resized back to the
// image size) and horizontal flip.
//
// Flipping keeps the labels valid: every AU here is coded for the whole face
// and is bilateral (its evidence appears on both sides, e.g. both brows rise in
// AU1, both lip corners rise in AU12), so the mirror image shows the same AUs.
// Unilateral coding (AU12 left vs right) would need the labels swapped instead.
import type { Rng } from "./prng.js";
import { resizeRGB } from "./resize.js";

export interface AugmentOptions {
  /** Random crop side as a fraction of the image side, drawn uniformly in [min, max]; 1 = no crop. */
  cropScale?: [number, number];
  /** Probability of a horizontal flip. Default 0.5. */
  flip?: number;
}

export const DEFAULT_AUGMENT: Required<AugmentOptions> = { cropScale: [0.875, 1], flip: 0.5 };

/** Mirrors an [size, size, 3] image left-right into `out` (may not alias `src`). */
export function flipHorizontal(src: Uint8Array, size: number, out = new Uint8Array(src.length)): Uint8Array {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const j = (y * size + (size - 1 - x)) * 3;
      out[j] = src[i];
      out[j + 1] = src[i + 1];
      out[j + 2] = src[i + 2];
    }
  }
  return out;
}

/** One augmented copy of an [size, size, 3] image. */
export function augmentImage(src: Uint8Array, size: number, rng: Rng, options: AugmentOptions = DEFAULT_AUGMENT): Uint8Array {
  const [lo, hi] = options.cropScale ?? DEFAULT_AUGMENT.cropScale;
  if (!(lo > 0 && hi <= 1 && lo <= hi)) throw new Error(`cropScale must satisfy 0 < min <= max <= 1, got [${lo}, ${hi}]`);
  let img = src;
  const scale = rng.uniform(lo, hi);
  const side = Math.max(1, Math.round(size * scale));
  const x = rng.int(size - side + 1);
  const y = rng.int(size - side + 1);
  if (side < size) img = resizeRGB(src, size, size, size, size, "bilinear", { x, y, w: side, h: side });
  if (rng.chance(options.flip ?? DEFAULT_AUGMENT.flip)) img = flipHorizontal(img, size);
  return img === src ? src.slice() : img;
}
