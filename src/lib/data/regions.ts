// Where each AU's direct evidence lies in the aligned crop, per side, so that a
// region can be occluded (filled with grey) to remove that evidence while the
// other side and correlated AUs stay visible as context.
//
// Boxes are in normalised image coordinates ([0, 1] across the crop, origin top
// left, "left" = the viewer's left). They bound the features that the
// generator draws for the AU across identities, with a margin for the per-frame
// pose jitter, and fit real aligned crops (ME-GraphAU/MAE style) roughly.
import { AU_REGION, isKnownAU, type FaceRegion } from "./aus.js";

export type Side = "left" | "right";

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Boxes of one side in face coordinates ([-1, 1], y down), before conversion. */
const FACE_BOXES: Record<FaceRegion, { left: Box; right: Box }> = {
  brows: mirrored({ x0: -0.56, y0: -0.66, x1: 0.03, y1: -0.14 }),
  eyes: mirrored({ x0: -0.62, y0: -0.24, x1: -0.1, y1: 0.28 }),
  nose: mirrored({ x0: -0.2, y0: -0.14, x1: 0, y1: 0.34 }),
  "upper-lip": mirrored({ x0: -0.4, y0: 0.14, x1: 0, y1: 0.46 }),
  "mouth-corners": mirrored({ x0: -0.46, y0: 0.24, x1: -0.1, y1: 0.64 }),
  chin: mirrored({ x0: -0.24, y0: 0.5, x1: 0, y1: 0.98 }),
  lips: mirrored({ x0: -0.34, y0: 0.3, x1: 0, y1: 0.66 }),
  jaw: mirrored({ x0: -0.42, y0: 0.38, x1: 0, y1: 1.0 }),
};

function mirrored(left: Box): { left: Box; right: Box } {
  return { left, right: { x0: -left.x1, y0: left.y0, x1: -left.x0, y1: left.y1 } };
}

function toImage(b: Box): Box {
  const c = (v: number) => Math.min(1, Math.max(0, (v + 1) / 2));
  return { x0: c(b.x0), y0: c(b.y0), x1: c(b.x1), y1: c(b.y1) };
}

/** Boxes (normalised image coordinates) of a face region, for the chosen sides. */
export function regionBoxes(region: FaceRegion, sides: readonly Side[] = ["left", "right"]): Box[] {
  const r = FACE_BOXES[region];
  if (!r) throw new Error(`unknown face region "${region}": choose one of ${Object.keys(FACE_BOXES).join(", ")}`);
  return sides.map((s) => toImage(r[s]));
}

/** Boxes covering an AU's region (both sides unless told otherwise). */
export function auBoxes(au: number, sides: readonly Side[] = ["left", "right"]): Box[] {
  if (!isKnownAU(au)) throw new Error(`AU${au} has no region: known AUs are 1, 2, 4, 6, 7, 9, 10, 12, 14, 15, 17, 23, 24, 25, 26`);
  return regionBoxes(AU_REGION[au], sides);
}

/** [size, size] mask, 1 inside any box (pixel centres), 0 elsewhere. */
export function boxMask(size: number, boxes: readonly Box[]): Uint8Array {
  const m = new Uint8Array(size * size);
  for (const b of boxes) {
    const x0 = Math.max(0, Math.ceil(b.x0 * size - 0.5));
    const x1 = Math.min(size, Math.ceil(b.x1 * size - 0.5));
    const y0 = Math.max(0, Math.ceil(b.y0 * size - 0.5));
    const y1 = Math.min(size, Math.ceil(b.y1 * size - 0.5));
    for (let y = y0; y < y1; y++) m.fill(1, y * size + x0, y * size + x1);
  }
  return m;
}

/**
 * Copies [N, size, size, 3] images with the boxes filled by `fill` (default
 * mid grey, which is close to the ImageNet mean, i.e. about zero after normalisation).
 */
export function occludeBoxes(
  images: Uint8Array, size: number, boxes: readonly Box[], fill: readonly [number, number, number] = [124, 116, 104],
): Uint8Array {
  const out = images.slice();
  const mask = boxMask(size, boxes);
  const px = size * size;
  const n = images.length / (px * 3);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < px; p++) {
      if (!mask[p]) continue;
      const o = (i * px + p) * 3;
      out[o] = fill[0];
      out[o + 1] = fill[1];
      out[o + 2] = fill[2];
    }
  }
  return out;
}
