// One large block occlusion (the paper's "30% block"): a rectangle whose area is a
// fraction of the face, centred at (cx, cy) in face coordinates ([0, 1] across the face
// box, which is the whole aligned crop by default), with a width/height aspect ratio.
// Patch masks snap the block to whole patches (area within one row of patches of the
// target); pixel masks are exact to the pixel.
import type { Box } from "../data/regions.js";
import { Rng } from "../data/prng.js";
import { toGrid, type GridSpec, type Size } from "./convert.js";

export interface BlockSpec {
  /** Fraction of the face box the block covers, in (0, 1]. */
  area: number;
  /** Centre in face-box coordinates, [0, 1]; the block is moved to stay inside. Default 0.5. */
  cx?: number;
  cy?: number;
  /** Width / height. Default 1 (square). */
  aspect?: number;
  /** The face box in normalised image coordinates; default the whole image. */
  face?: Box;
}

const WHOLE: Box = { x0: 0, y0: 0, x1: 1, y1: 1 };

function check(spec: BlockSpec): Required<BlockSpec> {
  const s = { area: spec.area, cx: spec.cx ?? 0.5, cy: spec.cy ?? 0.5, aspect: spec.aspect ?? 1, face: spec.face ?? WHOLE };
  if (!(s.area > 0 && s.area <= 1)) throw new Error(`block area must be in (0, 1], got ${s.area}`);
  if (!(s.aspect > 0 && Number.isFinite(s.aspect))) throw new Error(`block aspect must be positive, got ${s.aspect}`);
  for (const k of ["cx", "cy"] as const) if (!(s[k] >= 0 && s[k] <= 1)) throw new Error(`block ${k} must be in [0, 1], got ${s[k]}`);
  const f = s.face;
  if (!(f.x0 >= 0 && f.y0 >= 0 && f.x1 <= 1 && f.y1 <= 1 && f.x1 > f.x0 && f.y1 > f.y0)) throw new Error(`face box ${JSON.stringify(f)} is not inside [0, 1]`);
  return s;
}

/**
 * Integer rectangle of `count` cells (approximately) inside an n x m cell area with
 * the given aspect, centred near (cx, cy) in [0, 1].
 */
function placeCells(count: number, cols: number, rows: number, aspect: number, cx: number, cy: number) {
  // Cells are square (patches, pixels), so w / h = aspect and w * h = count.
  let w = Math.round(Math.sqrt(count * aspect));
  w = Math.min(cols, Math.max(1, w));
  let h = Math.min(rows, Math.max(1, Math.round(count / w)));
  // If the height was clipped, widen to recover the area.
  if (h === rows) w = Math.min(cols, Math.max(1, Math.round(count / h)));
  h = Math.min(rows, Math.max(1, Math.round(count / w)));
  const x0 = Math.min(cols - w, Math.max(0, Math.round(cx * cols - w / 2)));
  const y0 = Math.min(rows - h, Math.max(0, Math.round(cy * rows - h / 2)));
  return { x0, y0, x1: x0 + w, y1: y0 + h };
}

/** The cell range [a, b) of the face box along one axis of n cells. */
function span(lo: number, hi: number, n: number): [number, number] {
  const a = Math.max(0, Math.min(n - 1, Math.round(lo * n)));
  const b = Math.max(a + 1, Math.min(n, Math.round(hi * n)));
  return [a, b];
}

/** [L] patch mask of one block snapped to patches. */
export function blockPatchMask(grid: GridSpec, spec: BlockSpec): Float32Array {
  const { rows, cols } = toGrid(grid);
  const s = check(spec);
  const [fx0, fx1] = span(s.face.x0, s.face.x1, cols);
  const [fy0, fy1] = span(s.face.y0, s.face.y1, rows);
  const fw = fx1 - fx0;
  const fh = fy1 - fy0;
  const r = placeCells(Math.max(1, Math.round(s.area * fw * fh)), fw, fh, s.aspect, s.cx, s.cy);
  const mask = new Float32Array(rows * cols);
  for (let i = fy0 + r.y0; i < fy0 + r.y1; i++) mask.fill(1, i * cols + fx0 + r.x0, i * cols + fx0 + r.x1);
  return mask;
}

/** [H, W] pixel mask of one block, exact to the pixel. */
export function blockPixelMask(size: Size | number, spec: BlockSpec): Uint8Array {
  const { height, width } = typeof size === "number" ? { height: size, width: size } : size;
  const s = check(spec);
  const [fx0, fx1] = span(s.face.x0, s.face.x1, width);
  const [fy0, fy1] = span(s.face.y0, s.face.y1, height);
  const fw = fx1 - fx0;
  const fh = fy1 - fy0;
  const r = placeCells(Math.max(1, Math.round(s.area * fw * fh)), fw, fh, s.aspect, s.cx, s.cy);
  const mask = new Uint8Array(height * width);
  for (let y = fy0 + r.y0; y < fy0 + r.y1; y++) mask.fill(1, y * width + fx0 + r.x0, y * width + fx0 + r.x1);
  return mask;
}

/**
 * [B, L] block masks at seeded random positions (the centre drawn so that the block can
 * lie anywhere inside the face), one per image.
 */
export function randomBlockPatchMasks(batch: number, grid: GridSpec, area: number, seed: number, { aspect = 1, face }: { aspect?: number; face?: Box } = {}): Float32Array {
  const g = toGrid(grid);
  const L = g.rows * g.cols;
  const out = new Float32Array(batch * L);
  const rng = new Rng(seed);
  for (let b = 0; b < batch; b++) out.set(blockPatchMask(g, { area, aspect, face, cx: rng.next(), cy: rng.next() }), b * L);
  return out;
}
