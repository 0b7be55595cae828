// Mask conventions shared by every mask in MaskAU: 1 = removed (occluded), 0 = kept.
//   patch mask  [B, L] or [L], Float32Array (the MAE's `mask`), L = rows * cols patches in
//               row-major order (patch l = i * cols + j), as the MAE patchifies;
//   pixel mask  [H, W], Uint8Array, row-major.
// A patch covers pixels [i*p, (i+1)*p) x [j*p, (j+1)*p) for patch size p.

/** Patch grid: rows x cols patches (a number means a square grid). */
export type GridSpec = number | { rows: number; cols: number };

export interface Grid {
  rows: number;
  cols: number;
}

export function toGrid(grid: GridSpec): Grid {
  const g = typeof grid === "number" ? { rows: grid, cols: grid } : grid;
  if (!(Number.isInteger(g.rows) && g.rows > 0 && Number.isInteger(g.cols) && g.cols > 0)) {
    throw new Error(`patch grid must be positive integers, got ${g.rows} x ${g.cols}`);
  }
  return g;
}

/** Image size of a pixel mask. */
export interface Size {
  height: number;
  width: number;
}

/** The size of a pixel mask of `length` pixels: `size` if given (checked), else square. */
export function maskSize(length: number, size?: Size): Size {
  if (size) {
    if (size.height * size.width !== length) throw new Error(`pixel mask has ${length} values, not ${size.height} x ${size.width}`);
    return size;
  }
  const side = Math.round(Math.sqrt(length));
  if (side * side !== length) throw new Error(`pixel mask of ${length} values is not square; pass its size`);
  return { height: side, width: side };
}

/** [rows*p, cols*p] pixel mask from an [L] patch mask (any non-zero value counts as removed). */
export function patchToPixel(mask: ArrayLike<number>, grid: GridSpec, patch: number): Uint8Array {
  const { rows, cols } = toGrid(grid);
  if (mask.length !== rows * cols) throw new Error(`patch mask has ${mask.length} values but the grid is ${rows} x ${cols}`);
  if (!(Number.isInteger(patch) && patch > 0)) throw new Error(`patch size must be a positive integer, got ${patch}`);
  const width = cols * patch;
  const out = new Uint8Array(rows * patch * width);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (!mask[i * cols + j]) continue;
      for (let y = i * patch; y < (i + 1) * patch; y++) out.fill(1, y * width + j * patch, y * width + (j + 1) * patch);
    }
  }
  return out;
}

/** Fraction of removed pixels in each patch, [L] for an image of `size` (square by default). */
export function patchCoverage(pixelMask: ArrayLike<number>, patch: number, size?: Size): { coverage: Float32Array; grid: Grid } {
  const { height, width } = maskSize(pixelMask.length, size);
  if (!(Number.isInteger(patch) && patch > 0)) throw new Error(`patch size must be a positive integer, got ${patch}`);
  if (height % patch || width % patch) throw new Error(`a ${height} x ${width} mask does not divide into ${patch}-pixel patches`);
  const grid = { rows: height / patch, cols: width / patch };
  const counts = new Float32Array(grid.rows * grid.cols);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / patch) * grid.cols;
    for (let x = 0; x < width; x++) if (pixelMask[y * width + x]) counts[row + Math.floor(x / patch)] += 1;
  }
  const area = patch * patch;
  for (let l = 0; l < counts.length; l++) counts[l] /= area;
  return { coverage: counts, grid };
}

/**
 * [L] patch mask from a pixel mask: a patch is removed when at least `threshold` of its
 * pixels are removed (and at least one is, so threshold 0 means "any pixel").
 */
export function pixelToPatch(pixelMask: ArrayLike<number>, patch: number, threshold = 0.5, size?: Size): Float32Array {
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`threshold must be in [0, 1], got ${threshold}`);
  const { coverage } = patchCoverage(pixelMask, patch, size);
  const area = patch * patch;
  const out = new Float32Array(coverage.length);
  // Compare pixel counts as integers so that thresholds like 0.5 are exact.
  const need = Math.max(1, Math.ceil(threshold * area - 1e-9));
  for (let l = 0; l < out.length; l++) out[l] = Math.round(coverage[l] * area) >= need ? 1 : 0;
  return out;
}

/** Number of removed entries. */
export function countRemoved(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}
