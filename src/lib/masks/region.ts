// Region masks: occlude a facial region (brows, eyes, nose, mouth, ...) or one half of
// the face. The boxes are the generator's AU regions (src/lib/data/regions.ts), so a
// region mask removes exactly the evidence the synthetic faces draw for those AUs.
import type { FaceRegion } from "../data/aus.js";
import { auBoxes, regionBoxes, type Box, type Side } from "../data/regions.js";
import { pixelToPatch, toGrid, type GridSpec, type Size } from "./convert.js";

/** Face regions of the generator plus "mouth" (upper lip, corners, lips) and the halves. */
export type MaskRegion = FaceRegion | "mouth" | "left-half" | "right-half" | "upper-half" | "lower-half";

export const MASK_REGIONS: readonly MaskRegion[] = [
  "brows", "eyes", "nose", "mouth", "upper-lip", "mouth-corners", "lips", "chin", "jaw",
  "left-half", "right-half", "upper-half", "lower-half",
];

const HALVES: Record<string, Box> = {
  "left-half": { x0: 0, y0: 0, x1: 0.5, y1: 1 },
  "right-half": { x0: 0.5, y0: 0, x1: 1, y1: 1 },
  "upper-half": { x0: 0, y0: 0, x1: 1, y1: 0.5 },
  "lower-half": { x0: 0, y0: 0.5, x1: 1, y1: 1 },
};

/** Boxes (normalised image coordinates, "left" = viewer's left) of a region or an AU number. */
export function maskRegionBoxes(region: MaskRegion | number, sides: readonly Side[] = ["left", "right"]): Box[] {
  if (typeof region === "number") return auBoxes(region, sides);
  if (region in HALVES) return [HALVES[region]];
  if (region === "mouth") return (["upper-lip", "mouth-corners", "lips"] as const).flatMap((r) => regionBoxes(r, sides));
  if (!MASK_REGIONS.includes(region)) throw new Error(`unknown mask region "${region}": choose one of ${MASK_REGIONS.join(", ")} or an AU number`);
  return regionBoxes(region as FaceRegion, sides);
}

/** [H, W] pixel mask, 1 on pixels whose centre lies inside any box. */
export function boxesPixelMask(size: Size | number, boxes: readonly Box[]): Uint8Array {
  const { height, width } = typeof size === "number" ? { height: size, width: size } : size;
  const m = new Uint8Array(height * width);
  for (const b of boxes) {
    const x0 = Math.max(0, Math.ceil(b.x0 * width - 0.5));
    const x1 = Math.min(width, Math.ceil(b.x1 * width - 0.5));
    const y0 = Math.max(0, Math.ceil(b.y0 * height - 0.5));
    const y1 = Math.min(height, Math.ceil(b.y1 * height - 0.5));
    for (let y = y0; y < y1; y++) if (x1 > x0) m.fill(1, y * width + x0, y * width + x1);
  }
  return m;
}

/** [H, W] pixel mask of a region (or several, or AU numbers). */
export function regionPixelMask(size: Size | number, regions: MaskRegion | number | readonly (MaskRegion | number)[], sides?: readonly Side[]): Uint8Array {
  const list = Array.isArray(regions) ? regions : [regions as MaskRegion | number];
  return boxesPixelMask(size, list.flatMap((r) => maskRegionBoxes(r, sides)));
}

/**
 * [L] patch mask of a region: a patch is removed when at least `threshold` of its pixels
 * are in the region; the default 0 removes every patch the region touches, so nothing
 * of the region stays visible.
 */
export function regionPatchMask(
  grid: GridSpec,
  patch: number,
  regions: MaskRegion | number | readonly (MaskRegion | number)[],
  { threshold = 0, sides }: { threshold?: number; sides?: readonly Side[] } = {},
): Float32Array {
  const { rows, cols } = toGrid(grid);
  const size = { height: rows * patch, width: cols * patch };
  return pixelToPatch(regionPixelMask(size, regions, sides), patch, threshold, size);
}
