// Resampling of 8-bit RGB images: bilinear (upscaling, small changes) and area
// averaging (downscaling), as the importers and augmentation need.

export type ResizeMethod = "bilinear" | "area";

/**
 * Resamples the window (sx, sy, sw, sh) of an [h, w, 3] image to [outH, outW, 3].
 * "area" averages every source pixel the output pixel covers (good for shrinking);
 * "bilinear" samples at the output pixel centre (pixel-centre aligned, edges clamped).
 */
export function resizeRGB(
  src: Uint8Array, w: number, h: number, outW: number, outH: number,
  method: ResizeMethod = "area",
  window: { x: number; y: number; w: number; h: number } = { x: 0, y: 0, w, h },
): Uint8Array {
  const out = new Uint8Array(outW * outH * 3);
  const fx = window.w / outW;
  const fy = window.h / outH;
  if (method === "area" && fx >= 1 && fy >= 1) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = window.y + oy * fy;
      const y1 = y0 + fy;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = window.x + ox * fx;
        const x1 = x0 + fx;
        let r = 0, g = 0, b = 0, wsum = 0;
        for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
          const wy = Math.min(y + 1, y1) - Math.max(y, y0);
          if (wy <= 0) continue;
          const yy = Math.min(h - 1, Math.max(0, y));
          for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
            const wx = Math.min(x + 1, x1) - Math.max(x, x0);
            if (wx <= 0) continue;
            const xx = Math.min(w - 1, Math.max(0, x));
            const wt = wx * wy;
            const i = (yy * w + xx) * 3;
            r += src[i] * wt;
            g += src[i + 1] * wt;
            b += src[i + 2] * wt;
            wsum += wt;
          }
        }
        const o = (oy * outW + ox) * 3;
        out[o] = Math.round(r / wsum);
        out[o + 1] = Math.round(g / wsum);
        out[o + 2] = Math.round(b / wsum);
      }
    }
    return out;
  }
  for (let oy = 0; oy < outH; oy++) {
    const sy = Math.min(h - 1, Math.max(0, window.y + (oy + 0.5) * fy - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = sy - y0;
    for (let ox = 0; ox < outW; ox++) {
      const sx = Math.min(w - 1, Math.max(0, window.x + (ox + 0.5) * fx - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = sx - x0;
      const o = (oy * outW + ox) * 3;
      for (let k = 0; k < 3; k++) {
        const a = src[(y0 * w + x0) * 3 + k] * (1 - tx) + src[(y0 * w + x1) * 3 + k] * tx;
        const b = src[(y1 * w + x0) * 3 + k] * (1 - tx) + src[(y1 * w + x1) * 3 + k] * tx;
        out[o + k] = Math.round(a * (1 - ty) + b * ty);
      }
    }
  }
  return out;
}
