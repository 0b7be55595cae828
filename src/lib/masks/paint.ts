// Painted masks: brush strokes (a polyline of points and a radius, in pixels) drawn by
// a person on the image become a pixel mask (every pixel whose centre is within the
// radius of the stroke's path) and then a patch mask (a patch is removed when at least
// `threshold` of its pixels are painted, 0.5 by default).
import { pixelToPatch, toGrid, type GridSpec, type Size } from "./convert.js";

export interface Point {
  x: number;
  y: number;
}

export interface Stroke {
  /** Path in pixel coordinates (x right, y down; pixel (i, j) has its centre at (j + 0.5, i + 0.5)). */
  points: readonly Point[];
  /** Brush radius in pixels. */
  radius: number;
  /** Erase instead of paint (sets pixels back to kept). */
  erase?: boolean;
}

/** Squared distance from p to the segment a-b. */
function dist2(px: number, py: number, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / len2));
  const qx = a.x + t * dx - px;
  const qy = a.y + t * dy - py;
  return qx * qx + qy * qy;
}

/** Paints strokes, in order, onto a [H, W] pixel mask (a copy of `base` if given). */
export function paintPixelMask(size: Size | number, strokes: readonly Stroke[], base?: Uint8Array): Uint8Array {
  const { height, width } = typeof size === "number" ? { height: size, width: size } : size;
  const mask = base ? Uint8Array.from(base) : new Uint8Array(height * width);
  if (mask.length !== height * width) throw new Error(`base mask has ${mask.length} pixels, not ${height} x ${width}`);
  for (const s of strokes) {
    if (!(s.radius >= 0 && Number.isFinite(s.radius))) throw new Error(`brush radius must be >= 0, got ${s.radius}`);
    if (s.points.length === 0) continue;
    const value = s.erase ? 0 : 1;
    const r2 = s.radius * s.radius;
    const segments = s.points.length === 1 ? [[s.points[0], s.points[0]]] : s.points.slice(1).map((p, i) => [s.points[i], p]);
    for (const [a, b] of segments) {
      const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - s.radius - 0.5));
      const x1 = Math.min(width - 1, Math.ceil(Math.max(a.x, b.x) + s.radius - 0.5));
      const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - s.radius - 0.5));
      const y1 = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + s.radius - 0.5));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) if (dist2(x + 0.5, y + 0.5, a, b) <= r2) mask[y * width + x] = value;
      }
    }
  }
  return mask;
}

/** [L] patch mask from strokes on an image of grid * patch pixels. */
export function paintPatchMask(grid: GridSpec, patch: number, strokes: readonly Stroke[], threshold = 0.5): Float32Array {
  const { rows, cols } = toGrid(grid);
  const size = { height: rows * patch, width: cols * patch };
  return pixelToPatch(paintPixelMask(size, strokes), patch, threshold, size);
}
